def test_login_page_in_vietnamese(client):
    r = client.get("/login")
    assert r.status_code == 200


def test_home_for_each_role(world, login_as):
    for u in (world.officer, world.admin, world.teacher, world.student, world.outsider):
        c = login_as(u)
        r = c.get("/")
        assert r.status_code == 200, r.get_data(as_text=True)
