from wbinstall.cli import entry

entry()
