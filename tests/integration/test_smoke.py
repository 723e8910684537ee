import pytest

pytestmark = pytest.mark.integration


def test_home_page_lists_communities_in_chinese(client, world):
    page = client.get("/").get_data(as_text=True)
    assert "和平里社区" in page


def test_staff_can_sign_in(as_role, world):
    c = as_role("staff")
    assert "staff@example.org" in c.get("/").get_data(as_text=True)
