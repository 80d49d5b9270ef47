"""Ids built from input fit Firestore's and Secret Manager's alphabets; mappings are injective."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signal_copier.core import ids
from signal_copier.core.errors import InvalidInput

telegram_ids = st.integers(min_value=1, max_value=10**20 - 1)
safe_ids = st.from_regex(r"[A-Za-z0-9_-]{1,128}", fullmatch=True).filter(
    lambda s: not (s.startswith("__") and s.endswith("__"))
)
chat_ids = st.one_of(
    st.integers(min_value=1, max_value=10**19).map(str),
    st.integers(min_value=1, max_value=10**19).map(lambda n: f"-{n}"),
    st.from_regex(r"@[A-Za-z][A-Za-z0-9_]{3,31}", fullmatch=True),
)


@given(telegram_ids)
def test_a_telegram_account_maps_to_a_user_id_valid_everywhere_and_back(telegram: int) -> None:
    user = ids.user_id(telegram)

    assert ids.telegram_id(user) == telegram
    assert ids.check_id(user, "user_id") == user
    assert ids.is_firestore_id(user) and ids.is_secret_manager_id(user)


@given(telegram_ids, telegram_ids)
def test_two_telegram_accounts_never_share_a_user_id(first: int, second: int) -> None:
    assert (ids.user_id(first) == ids.user_id(second)) == (first == second)


@given(st.text(max_size=40))
def test_only_the_exact_user_id_shape_maps_back_to_a_telegram_id(text: str) -> None:
    try:
        telegram = ids.telegram_id(text)
    except InvalidInput:
        return
    assert ids.user_id(telegram) == text  # so no two strings map to one account


@given(safe_ids, safe_ids, safe_ids, safe_ids)
def test_secret_names_map_to_one_owner_and_kind_each(
    kind: str, owner: str, other_kind: str, other_owner: str
) -> None:
    name = ids.secret_name(kind, owner)

    assert ids.secret_parts(name) == (kind, owner)
    same = ids.secret_name(other_kind, other_owner) == name
    assert same == ((kind, owner) == (other_kind, other_owner))


@given(chat_ids, st.integers(min_value=1, max_value=2**31), st.integers(0, 2**40))
def test_message_keys_of_valid_chats_are_document_ids_and_injective(
    chat: str, message: int, version: int
) -> None:
    key = ids.message_key(ids.check_chat_id(chat), message, version)

    assert ids.is_firestore_id(key)
    chat_part, message_part, version_part = key.rsplit(":", 2)
    assert (chat_part, int(message_part), int(version_part)) == (chat, message, version)


@given(st.text(max_size=200))
def test_every_accepted_id_is_valid_in_firestore_and_secret_manager(text: str) -> None:
    try:
        accepted = ids.check_id(text, "id")
    except InvalidInput:
        return
    assert ids.is_firestore_id(accepted) and ids.is_secret_manager_id(accepted)


@pytest.mark.parametrize(
    "value",
    ["", "a/b", ".", "..", "__name__", "tg1 ", "tg\n1", "é", "x" * 129, "a.b"],
)
def test_ids_outside_the_safe_alphabet_are_refused_naming_the_field(value: str) -> None:
    with pytest.raises(InvalidInput, match="user_id"):
        ids.check_id(value, "user_id")


@pytest.mark.parametrize("value", ["0", "-0", "@ab", "@1abc", "-100/1", "abc", "@name!", ""])
def test_malformed_chat_ids_are_refused(value: str) -> None:
    with pytest.raises(InvalidInput, match="chat_id"):
        ids.check_chat_id(value)


@pytest.mark.parametrize("value", [0, -5, True, "5"])
def test_only_positive_telegram_ids_make_user_ids(value: object) -> None:
    with pytest.raises(InvalidInput, match="telegram id"):
        ids.user_id(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "firestore", "secret_manager"),
    [
        ("tg1", True, True),
        ("-1001234", True, True),
        ("@goldsignals", True, False),
        ("chat:1:0", True, False),
        ("a/b", False, False),
        ("__x__", False, True),
        ("..", False, False),
    ],
)
def test_the_two_alphabets_are_checked_separately(
    value: str, firestore: bool, secret_manager: bool
) -> None:
    assert ids.is_firestore_id(value) is firestore
    assert ids.is_secret_manager_id(value) is secret_manager
