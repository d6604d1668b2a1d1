"""The template sandbox: no way into Python's internals, no template injection through form values."""

from __future__ import annotations

import pytest

from domain.templating import RenderError, Secrets, Trusted, render_json, render_plain, render_slack

CONTEXT = {"form": {"name": "{{ 7*7 }}", "note": "<!channel> & <https://evil|bank>", "count": 3,
                    "tags": ["a", "b"], "empty": None},
           "requester": {"mention": Trusted("<@U1>"), "name": "Ada"}}


@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ form.__class__ }}",
    "{{ form.name.__class__.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ form.update({'x': 1}) }}",
])
def test_internals_are_out_of_reach(source: str) -> None:
    with pytest.raises(RenderError):
        render_slack(source, CONTEXT)
    with pytest.raises(RenderError):
        render_plain(source, CONTEXT, Secrets(environ={}))


def test_a_form_value_is_data_never_template_source() -> None:
    assert render_slack("Hi {{ form.name }}", CONTEXT) == "Hi {{ 7*7 }}"
    assert render_plain("x={{ form.name }}", CONTEXT, Secrets(environ={"X": "secret"})) == "x={{ 7*7 }}"
    assert render_json({"n": "{{ form.name }}", "s": "v {{ form.name }}"}, CONTEXT, Secrets(environ={})) == {
        "n": "{{ 7*7 }}", "s": "v {{ 7*7 }}"}


def test_a_form_value_cannot_read_a_secret() -> None:
    context = {"form": {"v": "${TOKEN}"}}
    secrets = Secrets(environ={"TOKEN": "hunter22"})
    assert render_plain("{{ form.v }}", context, secrets) == "${TOKEN}" and secrets.values == []
    assert render_json({"v": "{{ form.v }}"}, context, secrets) == {"v": "${TOKEN}"}


def test_slack_text_escapes_values_but_not_the_catalogs_own_mrkdwn_or_mentions() -> None:
    text = render_slack("*Note* for {{ requester.mention }}: {{ form.note }}", CONTEXT)
    assert text == "*Note* for <@U1>: &lt;!channel&gt; &amp; &lt;https://evil|bank&gt;"


def test_json_leaves_that_are_one_expression_keep_their_type() -> None:
    body = render_json({"count": "{{ form.count }}", "tags": "{{ form.tags }}", "none": "{{ form.empty }}",
                        "text": "{{ form.count }} items", "fixed": 5, "list": ["{{ form.tags | length }}"]},
                       CONTEXT, Secrets(environ={}))
    assert body == {"count": 3, "tags": ["a", "b"], "none": None, "text": "3 items", "fixed": 5, "list": [2]}


def test_a_quote_in_a_value_cannot_break_out_of_its_json_string() -> None:
    context = {"form": {"v": '", "admin": true, "x": "'}}
    assert render_json({"v": "name: {{ form.v }}"}, context, Secrets(environ={})) == {
        "v": 'name: ", "admin": true, "x": "'}


def test_secrets_are_read_when_rendering_and_collected() -> None:
    secrets = Secrets(environ={"TOKEN": "hunter22"})
    assert render_plain("Bearer ${TOKEN}", {}, secrets) == "Bearer hunter22" and secrets.values == ["hunter22"]
    with pytest.raises(RenderError, match="MISSING is not set"):
        render_plain("${MISSING}", {}, Secrets(environ={}))


def test_an_unknown_variable_is_an_error_not_an_empty_string() -> None:
    with pytest.raises(RenderError, match="unknown variable"):
        render_slack("{{ form.nope }}", CONTEXT)
    with pytest.raises(RenderError):
        render_json({"v": "{{ form.nope }}"}, CONTEXT, Secrets(environ={}))
