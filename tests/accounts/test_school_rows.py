"""The rows of a commune's school list (accounts.rows.school_rows, from accounts.listings.schools_page):
what each cell shows, the admins by name, the counters, the links, a deactivated school, hostile names,
and a page past the end."""
from __future__ import annotations

import lxml.html
from flask import url_for

from schoolhub.accounts import services
from schoolhub.accounts.models import Role


def rows(response) -> dict[str, dict]:
    """Each school's row by its name cell: its cells by data-label, its class and its action links."""
    tree = lxml.html.fromstring(response.get_data(as_text=True))
    found = {}
    for tr in tree.xpath("//table[contains(@class, 'stack')]/tbody/tr[td[@class='title']]"):
        cells = {td.get("data-label"): td.text_content() for td in tr.xpath("./td[@data-label]")}
        cells["class"] = tr.get("class")
        cells["links"] = [(a.text_content(), a.get("href")) for a in tr.xpath("./td[@class='actions']/a")]
        found[tr.xpath("./td[@class='title']")[0].text_content()] = cells
    return found


def test_a_school_row_shows_code_level_admins_by_name_counters_and_its_links(world, factory, login_as, db):
    factory.user(Role.SCHOOL_ADMIN, world.school, username="an.admin", full_name="An Văn Bé")
    client = login_as(world.officer)
    found = rows(client.get(f"/communes/{world.commune.id}/schools"))
    row = found["Trường THCS Bình Chương"]
    with client.application.test_request_context("/"):
        ids = {"commune_id": world.commune.id, "school_id": world.school.id}
        links = [("Sửa", url_for("admin.edit_school", **ids)), ("Chỉ định quản trị", url_for("admin.appoint_admin", **ids)),
                 ("Ngừng hoạt động", url_for("admin.school_active", **ids))]
    # Admins by their given name first (Vietnamese order): Bé before Quân.
    assert row == {"Mã": "THCS-A", "Cấp học": "THCS", "Người quản trị": "An Văn Bé (an.admin), Phan Đức Quân (admin)",
                   "Giáo viên": "1", "Lớp học": "1", "Học sinh": "1", "class": None, "links": links}


def test_a_school_without_admin_or_counters_says_so_and_a_deactivated_one_is_marked(world, factory, login_as, db):
    factory.school(world.commune, name="Trường Tiểu học Mới", code="TH-MOI")
    services.set_school_active(db, world.officer, world.other_school, False)
    db.commit()
    found = rows(login_as(world.officer).get(f"/communes/{world.commune.id}/schools"))
    new = found["Trường Tiểu học Mới"]
    assert (new["Người quản trị"], new["Giáo viên"], new["Lớp học"], new["Học sinh"]) == ("chưa có", "0", "0", "0")
    closed = found["Trường THCS Bình Minh (đã ngừng hoạt động)"]
    assert closed["class"] == "inactive" and [word for word, _href in closed["links"]][-1] == "Kích hoạt lại"
    names = list(found)
    assert names.index("Trường THCS Bình Minh (đã ngừng hoạt động)") == len(names) - 1  # open schools first


def test_hostile_admin_names_are_shown_as_text(world, factory, login_as, db):
    factory.user(Role.SCHOOL_ADMIN, world.school, username="x.admin", full_name='<img src=x onerror=alert(1)> "Á"')
    html = login_as(world.officer).get(f"/communes/{world.commune.id}/schools").get_data(as_text=True)
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; &#34;Á&#34; <span class=\"muted\">(x.admin)</span>" in html


def test_a_page_past_the_end_shows_the_last_one_with_the_count(world, factory, login_as, db, app, monkeypatch):
    for n in range(3):
        factory.school(world.commune, name=f"Trường Mầm non Số {n}", code=f"MN-{n}")
    db.commit()
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    client = login_as(world.officer)
    html = client.get(f"/communes/{world.commune.id}/schools?page=7").get_data(as_text=True)
    assert "5 trường" in html and "Trang 3/3" in html
    assert len(rows(client.get(f"/communes/{world.commune.id}/schools?page=7"))) == 1
    empty = client.get(f"/communes/{world.commune.id}/schools?q=khong+co+truong+nao").get_data(as_text=True)
    assert "0 trường" in empty and "Không có trường nào khớp" in empty


def test_a_deactivated_admin_is_named_and_marked_where_the_badge_counts_the_school_without_one(world, login_as, db):
    """The to-do badge counts a school whose only admin's account is deactivated as a school without an
    admin; the school list and the appoint page name that admin and say the account is deactivated, so the
    officer sees why (and an active admin beside them is shown plainly)."""
    services.set_user_active(db, world.officer, world.other_admin, False)
    db.commit()
    client = login_as(world.officer)
    found = rows(client.get(f"/communes/{world.commune.id}/schools"))
    assert found["Trường THCS Bình Minh"]["Người quản trị"] == "Lê Văn Bình (admin2) (đã ngừng hoạt động)"
    assert found["Trường THCS Bình Chương"]["Người quản trị"] == "Phan Đức Quân (admin)"
    assert "1 trường chưa có người quản trị" in client.get("/").get_data(as_text=True)

    page = lxml.html.fromstring(
        client.get(f"/communes/{world.commune.id}/schools/{world.other_school.id}/admins").get_data(as_text=True))
    assert [li.text_content() for li in page.xpath("//section/ul/li")] == ["Lê Văn Bình (admin2) (đã ngừng hoạt động)"]
    assert "Hiện không ai trong số họ đăng nhập được" in page.text_content()
    own = lxml.html.fromstring(
        client.get(f"/communes/{world.commune.id}/schools/{world.school.id}/admins").get_data(as_text=True))
    assert [li.text_content() for li in own.xpath("//section/ul/li")] == ["Phan Đức Quân (admin)"]
    assert "Hiện không ai trong số họ đăng nhập được" not in own.text_content()
