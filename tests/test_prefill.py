"""Values typed after the action, as Slack sends a command's text: entities escaped, mentions and
links in angle brackets (domain.prefill). The form shows them as typed, person and channel fields
get the ids, and every value is kept as it will be stored."""

from __future__ import annotations

import pytest

from domain.catalog import Action, parse_catalog
from domain.prefill import parse_prefill

CATALOG = """
roles: {it: {members: [U0IT1]}}
actions:
  order:
    title: Order
    fields:
      - {id: note, label: Note, type: text}
      - {id: email, label: Email, type: email, required: false}
      - {id: site, label: Site, type: url, required: false}
      - {id: seats, label: Seats, type: number, integer: true, min: 1, max: 20, required: false}
      - {id: manager, label: Manager, type: user, required: false}
      - {id: watchers, label: Watchers, type: users, required: false}
      - {id: channel, label: Channel, type: channel, required: false}
      - {id: agree, label: Agree, type: checkbox, required: false}
"""


@pytest.fixture
def action() -> Action:
    return parse_catalog(CATALOG).actions["order"]


def test_text_reads_as_typed(action: Action) -> None:
    text = ('note="R&amp;D &lt;team&gt;: ask <@U0IT1|ann> in <#C0SUPPORT|support>, see '
            '<https://x.test/a?b=1&amp;c=2|the doc> or <https://x.test/b> &amp;lt;ok&amp;gt;"')
    values, problems = parse_prefill(action, text)
    assert problems == []
    assert values == {"note": "R&D <team>: ask @ann in #support, see the doc or https://x.test/b &lt;ok&gt;"}


def test_people_and_channels_take_the_ids_their_mentions_carry(action: Action) -> None:
    values, problems = parse_prefill(
        action, 'manager=<@U0IT2|it two> watchers="<@U0IT1|ann> <@U0HR1>",U0HR2 channel=<#C0SUPPORT|support>')
    assert problems == []
    assert values == {"manager": "U0IT2", "watchers": ["U0IT1", "U0HR1", "U0HR2"], "channel": "C0SUPPORT"}
    assert parse_prefill(action, "manager=U0IT2") == ({"manager": "U0IT2"}, [])  # a typed id still works
    assert parse_prefill(action, "manager=<#C0SUPPORT|support> channel=<@U0IT1|ann>") == ({}, [
        "Manager: Pick a person from the list.", "Channel: Pick a channel from the list."])


def test_links_in_address_fields_give_their_address(action: Action) -> None:
    values, problems = parse_prefill(
        action, "email=<mailto:Ada@EXAMPLE.com|Ada@EXAMPLE.com> site=<http://example.com|example.com>")
    assert problems == []
    assert values == {"email": "Ada@example.com", "site": "http://example.com"}


def test_values_are_kept_as_they_will_be_stored(action: Action) -> None:
    values, problems = parse_prefill(action, "seats=+05 agree=yes email=ada@EXAMPLE.COM note=x")
    assert problems == []
    assert values == {"seats": "5", "agree": "true", "email": "ada@example.com", "note": "x"}
    assert parse_prefill(action, "seats= note=x") == ({"seats": None, "note": "x"}, [])  # emptied on purpose


def test_an_unknown_key_is_named_as_typed(action: Action) -> None:
    assert parse_prefill(action, "R&amp;D=1") == (
        {}, ["'R&D' is not a field of this form (its fields: note, email, site, seats, manager, watchers, "
             "channel, agree)."])
