"""GET an article and list articles, hand-written the documented way (FastAPI + SQLAlchemy ORM + pydantic)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

import jwt
from fastapi import Depends, FastAPI, Header, HTTPException, Query
from pydantic import BaseModel, ConfigDict, field_serializer
from pydantic.alias_generators import to_camel
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session, selectinload

from bench.handwritten.models import Article, User

DATABASE_URL = os.environ.get("DATABASE_URL", "sqlite:///./handwritten.sqlite3")
SECRET = os.environ.get("APP_SECRET", "handwritten-secret-for-the-benchmark-only-000")

connect_args = {"check_same_thread": False} if DATABASE_URL.startswith("sqlite") else {}
# The pool matches FastAPI's 40 worker threads: with the default 5 + 10 connections, sync dependencies that
# hold a session while the route waits for a thread starve each other under 50 connections (requests stall
# for the 30 s pool timeout), and the benchmark would measure that stall instead of the code.
engine = create_engine(DATABASE_URL, connect_args=connect_args, pool_size=40, max_overflow=10)
app = FastAPI()


def get_db() -> Iterator[Session]:
    with Session(engine) as session:
        yield session


def get_optional_user(db: Annotated[Session, Depends(get_db)],
                      authorization: Annotated[str | None, Header()] = None) -> User | None:
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "token":
        raise HTTPException(status_code=401, detail="Invalid authorization header")
    try:
        payload = jwt.decode(token, SECRET, algorithms=["HS256"])
    except jwt.PyJWTError:
        raise HTTPException(status_code=401, detail="Invalid token") from None
    return db.get(User, int(payload["sub"]))


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class Profile(CamelModel):
    username: str
    bio: str | None
    image: str | None
    following: bool


class ArticleSummary(CamelModel):
    """An article in a list: everything but the body (RealWorld's MultipleArticlesResponse)."""

    slug: str
    title: str
    description: str
    tag_list: list[str]
    created_at: datetime
    updated_at: datetime
    favorited: bool
    favorites_count: int
    author: Profile

    @field_serializer("created_at", "updated_at")
    def _rfc3339(self, value: datetime) -> str:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


class ArticleOut(ArticleSummary):
    body: str


class SingleArticle(BaseModel):
    article: ArticleOut


class MultipleArticles(CamelModel):
    articles: list[ArticleSummary]
    articles_count: int


def article_fields(article: Article, viewer: User | None) -> dict[str, object]:
    return {
        "slug": article.slug, "title": article.title, "description": article.description,
        "tag_list": [tag.name for tag in article.tags], "created_at": article.created_at,
        "updated_at": article.updated_at,
        "favorited": viewer is not None and viewer in article.favorited_by,
        "favorites_count": len(article.favorited_by),
        "author": Profile(username=article.author.username, bio=article.author.bio, image=article.author.image,
                          following=viewer is not None and viewer in article.author.followers),
    }


@app.get("/api/articles/{slug}", response_model=SingleArticle, response_model_by_alias=True)
def get_article(slug: str, db: Annotated[Session, Depends(get_db)],
                viewer: Annotated[User | None, Depends(get_optional_user)]) -> SingleArticle:
    article = db.scalars(select(Article).where(Article.slug == slug)).first()
    if article is None:
        raise HTTPException(status_code=404, detail="Article not found")
    return SingleArticle(article=ArticleOut(**article_fields(article, viewer), body=article.body))


@app.get("/api/articles", response_model=MultipleArticles, response_model_by_alias=True)
def list_articles(db: Annotated[Session, Depends(get_db)],
                  viewer: Annotated[User | None, Depends(get_optional_user)],
                  limit: Annotated[int, Query(ge=1, le=100)] = 20,
                  offset: Annotated[int, Query(ge=0)] = 0) -> MultipleArticles:
    articles = db.scalars(
        select(Article)
        .options(selectinload(Article.tags), selectinload(Article.favorited_by),
                 selectinload(Article.author).selectinload(User.followers))
        .order_by(Article.created_at.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    count = db.scalar(select(func.count()).select_from(Article)) or 0
    return MultipleArticles(articles=[ArticleSummary(**article_fields(a, viewer)) for a in articles], articles_count=count)
