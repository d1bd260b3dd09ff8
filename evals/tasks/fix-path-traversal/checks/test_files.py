def test_documents_download(client) -> None:
    assert client.get("/api/files/terms.txt").text == "Terms of service\n"
    assert client.get("/api/files/guides/start.txt").text == "Getting started\n"
    assert client.get("/api/files/missing.txt").status_code == 404
