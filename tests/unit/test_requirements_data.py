"""The requirements data holds the reference architecture's minimums and W&B's settings."""

from wbinstall import requirements


def test_minimum_versions_and_architecture():
    r = requirements.load()
    assert r.kubernetes.min_version == "1.29"
    assert r.kubernetes.architectures == ("amd64",)
    assert r.mysql.min_version == "8.0.11" == r.mysql.first_ga


def test_mysql_settings_are_wandbs_documented_values():
    assert requirements.load().mysql.settings == {
        "binlog_format": "ROW",
        "binlog_row_image": "MINIMAL",
        "innodb_flush_log_at_trx_commit": 1,
        "innodb_online_alter_log_max_size": 268435456,
        "max_prepared_stmt_count": 1048576,
        "sort_buffer_size": 67108864,
        "sync_binlog": 1,
    }


def test_cors_rules_and_operations_advice():
    r = requirements.load()
    cors = r.object_storage.cors
    assert set(cors.allowed_methods) == {"GET", "HEAD", "PUT"} and cors.expose_headers == ("ETag",)
    assert cors.max_age_seconds == 3000
    assert [a.id for a in r.mysql.operations] == ["backups", "disks", "monitoring", "standby"]
    assert "40%" in r.mysql.operations[2].advice and "5 minutes" in r.mysql.operations[2].advice
    assert r.network.tls.expiry_warning_days == 30
