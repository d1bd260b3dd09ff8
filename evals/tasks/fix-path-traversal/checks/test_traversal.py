import httpx


def test_traversal_is_refused(live) -> None:
    base = str(live.base_url)
    for raw in ("/api/files/..%2Fapp%2Fdb.py", "/api/files/%2E%2E/%2E%2E/pyproject.toml",
                "/api/files/guides/..%2F..%2Fapp%2Fmain.py", "/api/files/%2Fetc%2Fpasswd"):
        # send the path exactly as written (no client-side normalisation)
        response = httpx.get(base + raw, timeout=10)
        assert response.status_code in (400, 404), raw
        assert "sqlite3" not in response.text and "root:" not in response.text, raw
