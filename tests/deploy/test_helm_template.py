"""The built-in Helm renderer: Go-template semantics on small charts, and loud failure outside the subset."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_agent.generate.helm_template import HelmTemplateError, render_chart, render_chart_manifest


def _chart(root: Path, templates: dict[str, str], values: str = "{}\n") -> Path:
    chart = root / "demo"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 1.2.3\nappVersion: '4.5'\n")
    (chart / "values.yaml").write_text(values)
    for name, text in templates.items():
        (chart / "templates" / name).write_text(text)
    return chart


def _one(tmp_path: Path, text: str, values: str = "{}\n", **kwargs: object) -> str:
    return render_chart(_chart(tmp_path, {"t.yaml": text}, values), **kwargs)["templates/t.yaml"]  # type: ignore[arg-type]


def test_trim_markers_and_comments(tmp_path: Path) -> None:
    text = "a:\n  {{- /* gone */ -}}\n  b\n{{ .Chart.Name }} {{- \"x\" }}  {{ \"y\" -}}   z\n"
    assert _one(tmp_path, text) == "a:b\ndemox  yz\n"


def test_conditionals_with_and_range(tmp_path: Path) -> None:
    values = "yes_: true\nno_: false\nitems: [a, b]\nmap: {z: 1, a: 2}\nempty: {}\nnested: {x: 7}\n"
    text = (
        "{{ if .Values.no_ }}no{{ else if .Values.yes_ }}yes{{ else }}no{{ end }}|"
        "{{ range .Values.items }}[{{ . }}]{{ end }}|"
        "{{ range $k, $v := .Values.map }}{{ $k }}={{ $v }},{{ end }}|"
        "{{ range .Values.empty }}x{{ else }}none{{ end }}|"
        "{{ with .Values.nested }}{{ .x }}/{{ $.Chart.Version }}{{ end }}|"
        "{{ with .Values.missing }}x{{ else }}absent{{ end }}"
    )
    assert _one(tmp_path, text, values) == "yes|[a][b]|a=2,z=1,|none|7/1.2.3|absent"


def test_functions_and_pipelines(tmp_path: Path) -> None:
    values = "name: ''\nres: {limits: {cpu: '2', memory: 1Gi}}\nn: 3\n"
    text = (
        '{{ define "x.name" }}{{ default .Chart.Name .Values.name | upper }}{{ end -}}\n'
        'n: {{ include "x.name" . | quote }}\n'
        "p: {{ printf \"%s-%s-%d\" .Release.Name .Chart.AppVersion .Values.n | trunc 12 | trimSuffix \"-\" }}\n"
        "r:{{ toYaml .Values.res | nindent 2 }}\n"
        "c: {{ (.Values.tag | default .Chart.AppVersion) }} {{ contains \"mo\" .Chart.Name }} {{ .Values.n | quote }}\n"
        "{{- $v := \"set\" }}\nv: {{ $v }} {{ not .Values.name }} {{ eq .Values.n 3 }}\n"
    )
    out = _one(tmp_path, text, values, release="rel")
    assert out == (
        'n: "DEMO"\np: rel-4.5-3\nr:\n  limits:\n    cpu: \'2\'\n    memory: 1Gi\n'
        'c: 4.5 true "3"\nv: set true true\n'
    )


def test_manifest_stream_skips_partials_notes_and_disabled_templates(tmp_path: Path) -> None:
    chart = _chart(
        tmp_path,
        {
            "_helpers.tpl": '{{ define "n" }}cm{{ end }}',
            "NOTES.txt": "hello",
            "a.yaml": "kind: {{ include \"n\" . }}\n",
            "b.yaml": "{{- if .Values.b }}\nkind: B\n{{- end }}\n",
        },
        "b: false\n",
    )
    assert render_chart_manifest(chart) == "---\n# Source: demo/templates/a.yaml\nkind: cm\n"
    assert "kind: B" in render_chart_manifest(chart, values={"b": True})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{ lookup \"v1\" \"Secret\" \"ns\" \"n\" }}", r"t\.yaml:1: function 'lookup' is not supported"),
        ("line\n{{ if .Values.x }}open", r"t\.yaml:2: if has no matching"),
        ("{{ .Values.a.b }}", r"t\.yaml:1: nil pointer evaluating \.Values\.a\.b"),
        ("{{ required \"set image.repository\" .Values.repo }}", "required value missing: set image.repository"),
        ("{{ include \"nowhere\" . }}", "undefined template 'nowhere'"),
        ("{{ .Values }}", "use toYaml"),
        ("{{ end }}", r"unexpected \{\{ end \}\}"),
    ],
)
def test_unsupported_or_broken_templates_fail_with_their_location(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(HelmTemplateError, match=message):
        _one(tmp_path, text)
