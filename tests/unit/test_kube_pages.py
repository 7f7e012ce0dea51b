"""Where list_pages finds the next page's token before decoding a page: in the List's
metadata, which the API server writes before the items. Elsewhere, it is not trusted (the
reader then decodes and goes one page at a time)."""

from wbinstall.kube.client import _leading_continue


def test_the_token_in_the_leading_metadata_is_found():
    body = b'{"kind":"NodeList","apiVersion":"v1","metadata":{"resourceVersion":"42","continue":"eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ==","remainingItemCount":4500},"items":[{"metadata":{"name":"n"}}]}'
    assert _leading_continue(body) == "eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ=="


def test_the_last_page_has_no_token():
    assert _leading_continue(b'{"kind":"NodeList","metadata":{"resourceVersion":"42"},"items":[]}') is None


def test_a_continue_key_inside_an_item_is_not_taken_for_the_token():
    assert _leading_continue(b'{"metadata":{},"items":[{"metadata":{"annotations":{"continue":"x"}}}]}') is None


def test_metadata_after_the_items_is_not_searched():
    assert _leading_continue(b'{"items":[],"metadata":{"continue":"late"}}') is None
