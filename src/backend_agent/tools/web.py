"""WebFetch and WebSearch: the network tools, off unless a permission rule allows them.

They are ordinary tools for the permission engine (``WebFetch(domain:docs.python.org)`` allows
one site), so a run asks, or in headless mode refuses, before any request leaves the machine.
Without a network they fail with the real cause, never with made-up content. There is no model
inside the tools: WebFetch returns the page as Markdown with the question it was fetched for, and
the agent's own model reads it. WebSearch needs a search backend: a SearXNG-compatible JSON
endpoint named by ``BACKEND_AGENT_SEARCH_URL``.
"""

from __future__ import annotations

import ipaddress
import os
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, Field

from backend_agent.tools.base import Tool, ToolContext, ToolResult

MAX_BYTES = 10 * 1024 * 1024
MAX_CHARS = 100_000
MAX_REDIRECTS = 5
CACHE_SECONDS = 15 * 60
TIMEOUT_SECONDS = 30.0
SEARCH_URL_VARIABLE = "BACKEND_AGENT_SEARCH_URL"
_cache: dict[str, tuple[float, str, str]] = {}  # url -> (fetched at, final url, markdown)


class WebFetchInput(BaseModel):
    url: str = Field(description="The full URL to fetch (http is upgraded to https).")
    prompt: str = Field(description="What you want to learn from the page.")


class WebSearchInput(BaseModel):
    query: str = Field(min_length=2, description="The search query.")
    allowed_domains: list[str] = Field(default_factory=list, description="Only results from these domains.")
    blocked_domains: list[str] = Field(default_factory=list, description="Never results from these domains.")


class WebFetchTool(Tool[WebFetchInput]):
    name = "WebFetch"
    description = (
        "Fetch a web page and return it as Markdown, with your question, so you can answer it from the "
        "page. Needs a permission rule (e.g. WebFetch(domain:docs.python.org)) and a network. A redirect "
        "to another host is reported, not followed: fetch the new URL if you trust it. Results are cached "
        "for 15 minutes."
    )
    Input = WebFetchInput
    read_only = True

    def run(self, input: WebFetchInput, ctx: ToolContext) -> ToolResult:
        url = _upgraded(input.url)
        if isinstance(url, ToolResult):
            return url
        cached = _cache.get(url)
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return _page_result(url, cached[1], cached[2], input.prompt, cached=True)
        fetched = _fetch(url)
        if isinstance(fetched, ToolResult):
            return fetched
        final_url, markdown = fetched
        _cache[url] = (time.monotonic(), final_url, markdown)
        return _page_result(url, final_url, markdown, input.prompt, cached=False)


class WebSearchTool(Tool[WebSearchInput]):
    name = "WebSearch"
    description = (
        "Search the web and return result titles, URLs and snippets. Needs a permission rule, a network "
        f"and a search backend ({SEARCH_URL_VARIABLE}: a SearXNG-compatible JSON endpoint). Filter with "
        "allowed_domains or blocked_domains."
    )
    Input = WebSearchInput
    read_only = True

    def run(self, input: WebSearchInput, ctx: ToolContext) -> ToolResult:
        import httpx

        endpoint = os.environ.get(SEARCH_URL_VARIABLE, "").strip()
        if not endpoint:
            return ToolResult.failure(
                "no_search_backend",
                f"WebSearch has no search backend: set {SEARCH_URL_VARIABLE} to a SearXNG-compatible JSON "
                "endpoint (e.g. http://127.0.0.1:8888/search). No search was made.",
            )
        try:
            response = httpx.get(endpoint, params={"q": input.query, "format": "json"}, timeout=TIMEOUT_SECONDS)
            response.raise_for_status()
            payload = response.json()
        except httpx.HTTPError as exc:
            return ToolResult.failure("network_error", f"The search backend {endpoint} failed: {exc}")
        except ValueError:
            return ToolResult.failure("bad_response", f"The search backend {endpoint} did not answer JSON.")
        results = [
            {"title": str(item.get("title", "")), "url": str(item.get("url", "")), "snippet": str(item.get("content", ""))}
            for item in payload.get("results", [])
            if isinstance(item, dict) and _domain_ok(str(item.get("url", "")), input)
        ]
        if not results:
            return ToolResult(output=f'No results for "{input.query}".', data={"query": input.query, "results": []})
        lines = [f'Web search results for "{input.query}":']
        for number, item in enumerate(results, 1):
            lines.append(f"{number}. {item['title']}\n   {item['url']}\n   {item['snippet']}".rstrip())
        return ToolResult(output="\n".join(lines), data={"query": input.query, "results": results})


def _upgraded(raw: str) -> str | ToolResult:
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ToolResult.failure("bad_input", f"Not a full http(s) URL: {raw!r}. Give the whole URL, e.g. https://example.com/page.")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        parts = parts._replace(scheme="https")
    return urlunsplit(parts)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _fetch(url: str) -> tuple[str, str] | ToolResult:
    import httpx

    host = urlsplit(url).hostname
    current = url
    try:
        with httpx.Client(timeout=httpx.Timeout(TIMEOUT_SECONDS, connect=10.0), follow_redirects=False) as client:
            for _ in range(MAX_REDIRECTS + 1):
                with client.stream("GET", current, headers={"User-Agent": "backend-agent WebFetch"}) as response:
                    if response.is_redirect:
                        target = str(response.next_request.url) if response.next_request else ""
                        if urlsplit(target).hostname != host:
                            return ToolResult(
                                output=f"{url} redirects to another host: {target}. Fetch that URL if you trust it.",
                                data={"url": url, "redirect_url": target, "status": response.status_code},
                            )
                        current = target
                        continue
                    if response.status_code >= 400:
                        return ToolResult.failure("http_error", f"{current} answered HTTP {response.status_code}.",
                                                  status=response.status_code)  # fmt: skip
                    body = _read_capped(response)
                    if isinstance(body, ToolResult):
                        return body
                    return current, _to_markdown(body, response.headers.get("content-type", ""))
    except httpx.HTTPError as exc:
        return ToolResult.failure(
            "network_error", f"Could not fetch {current}: {type(exc).__name__}: {exc}. There may be no network here."
        )
    return ToolResult.failure("too_many_redirects", f"{url} redirected more than {MAX_REDIRECTS} times.")


def _read_capped(response: Any) -> str | ToolResult:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_BYTES:
            return ToolResult.failure("too_large", f"The page is larger than {MAX_BYTES // (1024 * 1024)} MB.")
        chunks.append(chunk)
    return b"".join(chunks).decode(response.encoding or "utf-8", errors="replace")


def _to_markdown(body: str, content_type: str) -> str:
    if "html" not in content_type.lower() and not body.lstrip().lower().startswith(("<!doctype html", "<html")):
        return body
    from bs4 import BeautifulSoup
    from markdownify import MarkdownConverter

    soup = BeautifulSoup(body, "html.parser")
    for hidden in soup(["script", "style", "noscript", "template"]):
        hidden.decompose()
    return str(MarkdownConverter(heading_style="ATX").convert_soup(soup)).strip()


def _page_result(url: str, final_url: str, markdown: str, prompt: str, *, cached: bool) -> ToolResult:
    truncated = len(markdown) > MAX_CHARS
    text = markdown[:MAX_CHARS]
    note = f"\n\n[truncated: the page has {len(markdown)} characters; the first {MAX_CHARS} are shown]" if truncated else ""
    output = f"Content of {final_url} (as Markdown), fetched to answer: {prompt}\n\n{text}{note}"
    return ToolResult(
        output=output,
        data={"url": url, "final_url": final_url, "chars": len(markdown), "truncated": truncated, "cached": cached},
    )


def _domain_ok(url: str, input: WebSearchInput) -> bool:
    host = (urlsplit(url).hostname or "").lower()

    def matches(domain: str) -> bool:
        domain = domain.lower().strip().removeprefix("www.")
        return host == domain or host.endswith("." + domain)

    if input.allowed_domains and not any(matches(d) for d in input.allowed_domains):
        return False
    return not any(matches(d) for d in input.blocked_domains)


__all__ = ["SEARCH_URL_VARIABLE", "WebFetchInput", "WebFetchTool", "WebSearchInput", "WebSearchTool"]
