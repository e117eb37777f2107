"""A lending library (the ElectroDB library-system example), declared in Python.

The same application as ``benchmarks/cases/specs/electrodb-library-system.yaml``: authors write
books, the library holds several copies of each book, books are filed under genres and
subgenres, and members borrow copies.

Notes on the modelling (shared with the spec file):

- Three patterns take "an ISBN or a title" in the source; each is declared twice here
  (``..._by_isbn`` and ``..._by_title``), one pattern per key.
- A copy that is not on loan stores the sentinel ``"AVAILABLE"`` in ``loan_end_date``, which sorts
  after every ISO date: "available" is ``range="eq"`` and "on loan" / "overdue" is ``range="lt"``
  on the same key. The caller supplies the sentinel or today's date.
- Book and Genre repeat the title and the author's names, but not as ``Copy(...)`` attributes:
  there is no single item to copy them from (a Book is one physical copy; a Genre is keyed by ISBN).
- The source has no write access patterns; every write is a single-item put.
"""

from __future__ import annotations

from datetime import date

from dynamodel import App, Collection, Entity, Get, Query

AUTHOR = ["author_last_name", "author_first_name"]


class Author(Entity, identity=("author_last_name", "author_first_name", "birthday")):
    """A writer, told apart from namesakes by the birthday."""

    author_last_name: str
    author_first_name: str
    birthday: date
    bio: str


class Book(Entity, identity=("isbn", "book_id")):
    """One physical copy of a book on the shelves, with the book's details repeated on it.

    While the copy is on loan, ``member_id`` and ``loan_start_date`` are set and
    ``loan_end_date`` holds the due date; otherwise ``loan_end_date`` is ``"AVAILABLE"``.
    """

    isbn: str
    book_id: str
    book_title: str
    description: str
    publisher: str
    release_date: date
    author_first_name: str
    author_last_name: str
    member_id: str | None = None
    loan_start_date: date | None = None
    loan_end_date: str


class Genre(Entity, identity=("isbn", "genre", "subgenre")):
    """The filing of a book (by ISBN) under a genre and one of its subgenres."""

    isbn: str
    genre: str
    subgenre: str
    book_title: str
    author_first_name: str
    author_last_name: str


class Member(Entity, identity=("member_id",)):
    """A library card holder, with the period of the membership and a postal address."""

    member_id: str
    membership_start_date: date
    membership_end_date: date
    address: dict[str, str]


library = App(
    "library",
    [Author, Book, Genre, Member],
    patterns=[
        Query(Author, by="author_last_name", name="ap1_authors_by_last_name"),
        Query(
            Author,
            by="author_last_name",
            sort="author_first_name",
            range="begins_with",
            name="ap2_authors_by_last_name_and_first_name_prefix",
        ),
        Query(Author, by=AUTHOR, name="ap3_authors_by_full_name"),
        Collection(Author, Book, Genre, by=AUTHOR, name="ap4_author_with_books_and_genres"),
        Query(Book, by="isbn", name="ap5_copies_of_book"),
        Query(Book, by="member_id", name="ap6_books_on_loan_to_member"),
        Query(Book, by="member_id", sort="loan_end_date", range="lt", name="ap7_overdue_books_of_member"),
        # Counted by the caller from the same query as ap6.
        Query(Book, by="member_id", name="ap8_count_books_of_member"),
        Query(Book, by="member_id", include=[Member], name="ap9_member_with_books"),
        Query(Book, by=AUTHOR, name="ap10_copies_by_author"),
        Query(Book, by=AUTHOR, sort="loan_end_date", range="eq", name="ap11_available_copies_by_author"),
        Query(Book, by=AUTHOR, sort="loan_end_date", range="lt", name="ap12_copies_on_loan_by_author"),
        Query(Book, by="book_title", name="ap13_copies_by_title"),
        Query(
            Book,
            by="book_title",
            sort="release_date",
            range="between",
            name="ap14_copies_by_title_and_release_date",
        ),
        Query(Genre, by="isbn", name="ap15_genres_of_book_by_isbn"),
        Query(Genre, by="book_title", name="ap15_genres_of_book_by_title"),
        Query(Genre, by=["isbn", "genre"], name="ap16_subgenres_of_book_in_genre_by_isbn"),
        Query(Genre, by=["book_title", "genre"], name="ap16_subgenres_of_book_in_genre_by_title"),
        Collection(Book, Genre, by="isbn", name="ap17_book_with_genres_by_isbn"),
        Collection(Book, Genre, by="book_title", name="ap17_book_with_genres_by_title"),
        Query(Genre, by="genre", name="ap18_books_in_genre"),
        Query(Genre, by=["genre", "subgenre"], name="ap19_books_in_genre_and_subgenre"),
        Query(Genre, by=AUTHOR, name="ap20_genres_of_author"),
        Query(Genre, by=[*AUTHOR, "genre"], name="ap21_subgenres_of_author_in_genre"),
        Get(Member, by="member_id", name="ap22_get_member"),
    ],
)
