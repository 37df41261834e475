"""Each membership's copy of its user's list order (accounts.sortkeys, migration 0014) follows every
write of the user, so a school's people list stays in order: active people first, then by name."""
from __future__ import annotations

import re

from sqlalchemy import select, update

from schoolhub.accounts import services, sortkeys
from schoolhub.accounts.models import Membership, Role, User


def _copies_agree(db) -> list:
    """Memberships whose copy differs from their user (none when all is well)."""
    return db.execute(select(Membership.id, Membership.user_inactive, Membership.user_sort, User.is_active_account,
                             User.name_sort).join(User, User.id == Membership.user_id)
                      .where((Membership.user_sort != User.name_sort)
                             | (Membership.user_inactive == User.is_active_account))).all()


def _listed(client, school_id: int) -> list[str]:
    html = client.get(f"/schools/{school_id}/students").get_data(as_text=True)
    return re.findall(r'data-testid="person-name">([^<]+)<', html)


def test_the_copies_follow_new_people_renames_moves_and_deactivations(world, factory, db, app, login_as):
    assert _copies_agree(db) == []
    with app.app_context():
        anh = factory.user(Role.STUDENT, world.school, full_name="Trần Văn Anh", school_class=world.school_class)
        binh = factory.user(Role.STUDENT, world.school, full_name="Lê Thị Bình", school_class=world.school_class)
        db.commit()
        assert _copies_agree(db) == []
        services.update_user(db, world.admin, anh, full_name="Trần Văn Yên", school_class=world.school_class)
        services.set_user_active(db, world.admin, binh, False)
        services.move_member(db, world.admin, world.teacher, world.school, world.other_school)
        db.commit()
    assert _copies_agree(db) == []
    # As the admin sees the list: Khoa, then Yên (renamed: now after Khoa), then Bình, deactivated, last.
    names = _listed(login_as(world.admin), world.school.id)
    assert names[-1].startswith("Lê Thị Bình") and names.index("Trần Văn Yên") > names.index("Nguyễn Minh Khoa"), names
    with app.app_context():
        services.set_user_active(db, world.admin, binh, True)
        db.commit()
    assert _copies_agree(db) == []
    assert _listed(login_as(world.admin), world.school.id)[0].startswith("Lê Thị Bình")  # B before K and Y


def test_a_write_past_the_orm_is_mended_by_resync(world, db):
    """A Core UPDATE of users (as a script might run) bypasses the listener; resync copies the values again."""
    db.execute(update(User).where(User.id == world.student.id).values(name_sort="zzz"))
    assert len(_copies_agree(db)) == 1
    sortkeys.resync(db.connection(), [world.student.id])
    assert _copies_agree(db) == []
    db.execute(update(User).values(is_active_account=False))
    sortkeys.resync(db.connection())
    assert _copies_agree(db) == []
