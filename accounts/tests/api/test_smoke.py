import pytest

pytestmark = pytest.mark.django_db


def test_account_manager_lists_own_portfolio(world, api, account_factory):
    mine = account_factory(owner=world.am_a, region=world.district_a1)
    account_factory(owner=world.am_b, region=world.city_b)
    response = api(world.am_a).get("/api/v1/accounts/")
    assert response.status_code == 200, response.content
    assert [row["code"] for row in response.json()["results"]] == [mine.code]
