"""The route table (`cluetrain routes`) against docs/api/openapi.yaml and
against the running server."""

import os
import re

from harness import REPO, run_cli

OPENAPI = os.path.join(REPO, "docs", "api", "openapi.yaml")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
ROLES = {"public", "admin", "supervisor", "agent", "viewer"}


def routes(binary, api_only=True):
    """[(METHOD, pattern, [roles])] from `cluetrain routes`: the JSON API's
    (under /api/, which openapi.yaml documents) unless api_only is false;
    the web pages are checked in test_web_pages.py."""
    res = run_cli(binary, "routes", check=True)
    out = []
    for line in res.stdout.splitlines():
        parts = line.split()
        assert len(parts) >= 3, "not 'METHOD PATTERN roles...': %r" % line
        if parts[1].startswith("/api/") or not api_only:
            out.append((parts[0], parts[1], parts[2:]))
    return out


def documented_operations(text):
    """{(METHOD, path)} under `paths:` of an OpenAPI document. Uses PyYAML
    when it is installed, else a reader of the block-style subset that the
    document is written in (paths two spaces in, methods four)."""
    try:
        import yaml
    except ImportError:
        yaml = None
    if yaml is not None:
        doc = yaml.safe_load(text)
        return {(m.upper(), p) for p, item in (doc.get("paths") or {}).items()
                for m in (item or {}) if m in METHODS}
    ops, in_paths, path = set(), False, None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        if indent == 0:
            in_paths = line.rstrip() == "paths:"
            path = None
            continue
        if not in_paths:
            continue
        m = re.match(r"^(\s*)(['\"]?)(/[^'\":]*)\2:\s*$", line)
        if m and indent == 2:
            path = m.group(3)
            continue
        m = re.match(r"^\s*(\w+):", line)
        if m and path and indent == 4 and m.group(1) in METHODS:
            ops.add((m.group(1).upper(), path))
    return ops


def test_routes_prints_method_pattern_and_roles(binary):
    """One line per route: an HTTP method, a pattern (the API under
    /api/v1/), and either "public" or the roles that may call it; no route
    twice."""
    table = routes(binary, api_only=False)
    assert table
    for method, pattern, roles in table:
        assert method in ("GET", "POST", "PATCH", "PUT", "DELETE"), method
        assert pattern.startswith("/"), pattern
        assert pattern.startswith("/api/v1/") or not pattern.startswith("/api"), pattern
        assert set(roles) <= ROLES and roles, roles
        assert roles == ["public"] or "public" not in roles
    assert len({(m, p) for m, p, _ in table}) == len(table)
    assert ("GET", "/api/v1/health", ["public"]) in table


def test_every_route_is_documented_in_openapi(binary):
    """Each route of the binary appears in docs/api/openapi.yaml with its
    path and method."""
    assert os.path.exists(OPENAPI), "docs/api/openapi.yaml is missing"
    with open(OPENAPI, encoding="utf-8") as f:
        documented = documented_operations(f.read())
    missing = sorted("%s %s" % (m, p) for m, p, _ in routes(binary)
                     if (m, p) not in documented)
    assert not missing, "routes missing from openapi.yaml: %s" % ", ".join(missing)


def test_openapi_documents_no_route_that_does_not_exist(binary):
    """The document does not promise routes the binary lacks."""
    assert os.path.exists(OPENAPI), "docs/api/openapi.yaml is missing"
    with open(OPENAPI, encoding="utf-8") as f:
        documented = documented_operations(f.read())
    existing = {(m, p) for m, p, _ in routes(binary)}
    extra = sorted("%s %s" % op for op in documented - existing)
    assert not extra, "openapi.yaml documents routes that do not exist: %s" % ", ".join(extra)


def test_fallback_reader_agrees_with_yaml(binary):
    """The indent-based reader finds what a YAML parser finds (so the check
    above is the same with and without PyYAML)."""
    sample = """openapi: 3.0.3
paths:
  /a/{id}:
    parameters:
      - name: id
    get:
      summary: x
    patch:
      requestBody:
        content: {}
  "/b":
    post:
      responses: {}
components:
  schemas:
    get:
      type: object
"""
    import builtins
    real_import = builtins.__import__

    def no_yaml(name, *args, **kw):
        if name == "yaml":
            raise ImportError(name)
        return real_import(name, *args, **kw)

    real_doc = None
    if os.path.exists(OPENAPI):
        with open(OPENAPI, encoding="utf-8") as f:
            real_doc = f.read()
    builtins.__import__ = no_yaml
    try:
        ops = documented_operations(sample)
        fallback_real = documented_operations(real_doc) if real_doc else None
    finally:
        builtins.__import__ = real_import
    assert ops == {("GET", "/a/{id}"), ("PATCH", "/a/{id}"), ("POST", "/b")}
    try:
        import yaml  # noqa: F401
    except ImportError:
        return
    if real_doc:
        assert fallback_real == documented_operations(real_doc)


def test_the_route_table_is_what_the_server_serves(binary, server):
    """Each listed route exists on the server: without a token a protected
    route answers 401 (not 404 or 405), a public one answers without 401."""
    anon = server.client()
    anon.token = ""
    for method, pattern, roles in routes(binary):
        path = pattern.replace("{id}", "1")
        body = {} if method in ("POST", "PATCH", "PUT") else None
        status, _ = anon.call(method, path, body)
        if roles == ["public"]:
            assert status not in (401, 403, 404, 405), (method, pattern, status)
        else:
            assert status == 401, (method, pattern, status)
