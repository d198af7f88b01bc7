"""Row and sheet discussions with their comments (contract smartsheet-events.md §7, §8.4).

Each create is a new thread (the API has no idempotent comment write). Creating a discussion or a comment
bumps the sheet version; a row's ``modifiedAt`` is left alone unless ``discussion_touches_row`` is set ([G]).
Callers hold the sheet's locks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smartbind_pipelines.sandbox.smartsheet.errors import SmartsheetError, missing_attribute, not_found, parse_error
from smartbind_pipelines.sandbox.smartsheet.sheet import SANDBOX_USER_EMAIL, Sheet, utc_stamp

SANDBOX_USER = {"name": "Sandbox User", "email": SANDBOX_USER_EMAIL}
TITLE_CHARS = 100
# [G] the real maximum comment length is not documented; the emulator refuses longer texts.
MAX_TEXT_CHARS = 4000
_DISCUSSION_KEYS = {
    "comment",
    "title",
    "comments",
    "id",
    "parentId",
    "parentType",
    "commentCount",
    "accessLevel",
    "readOnly",
    "lastCommentedAt",
    "lastCommentedUser",
    "createdBy",
    "commentAttachments",
}
_COMMENT_KEYS = {"text", "id", "discussionId", "createdBy", "createdAt", "modifiedAt", "attachments"}


@dataclass
class Comment:
    id: int
    discussion_id: int
    text: str
    created_at: str

    def render(self) -> dict:
        return {
            "id": self.id,
            "discussionId": self.discussion_id,
            "text": self.text,
            "createdBy": dict(SANDBOX_USER),
            "createdAt": self.created_at,
            "modifiedAt": self.created_at,
        }


@dataclass
class Discussion:
    id: int
    parent_type: str  # ROW | SHEET
    parent_id: int
    title: str
    comments: list[Comment] = field(default_factory=list)

    def render(self, with_comments: bool = True) -> dict:
        last = self.comments[-1]
        body = {
            "id": self.id,
            "title": self.title,
            "commentCount": len(self.comments),
            "accessLevel": "OWNER",
            "parentType": self.parent_type,
            "parentId": self.parent_id,
            "readOnly": False,
            "lastCommentedAt": last.created_at,
            "lastCommentedUser": dict(SANDBOX_USER),
            "createdBy": dict(SANDBOX_USER),
        }
        if with_comments:
            body["comments"] = [comment.render() for comment in self.comments]
        return body


def _text(body, where: str) -> str:
    if not isinstance(body, dict):
        raise parse_error(f"the {where.split('.')[0]} must be a JSON object.")
    text = body.get("text")
    if text is None or (isinstance(text, str) and not text.strip()):
        raise missing_attribute(where)
    if not isinstance(text, str):
        raise parse_error('Field "text" was of unexpected type.')
    if len(text) > MAX_TEXT_CHARS:
        raise SmartsheetError(
            400,
            1041,
            f"The value for {where} must be {MAX_TEXT_CHARS} characters in length or less, but was {len(text)}.",
        )
    return text


def create_discussion(sheet: Sheet, new_id, body, row_id: int | None, *, touch_row: bool) -> dict:
    """POST /sheets/{id}/rows/{rowId}/discussions (``row_id``) or /sheets/{id}/discussions (None)."""
    if not isinstance(body, dict):
        raise parse_error("the discussion must be a JSON object.")
    unknown = sorted(set(body) - _DISCUSSION_KEYS)
    if unknown:
        raise parse_error(f'Unrecognized field "{unknown[0]}".')
    if body.get("comment") is None:
        raise missing_attribute("comment")
    if isinstance(body["comment"], dict):
        unknown = sorted(set(body["comment"]) - _COMMENT_KEYS)
        if unknown:
            raise parse_error(f'Unrecognized field "{unknown[0]}".')
    text = _text(body["comment"], "comment.text")
    row = None
    if row_id is not None:
        row = sheet.rows_by_id.get(row_id)
        if row is None:
            raise not_found()
    now = utc_stamp()
    discussion = Discussion(
        new_id(), "ROW" if row is not None else "SHEET", row.id if row is not None else sheet.id, text[:TITLE_CHARS]
    )  # a client title: ignored [G]
    discussion.comments.append(Comment(new_id(), discussion.id, text, now))
    sheet.discussions = [*sheet.discussions, discussion]
    if row is not None and touch_row:
        row.modified_at = now
    sheet.changed()
    return {"message": "SUCCESS", "resultCode": 0, "result": discussion.render(), "version": sheet.version}


def add_comment(sheet: Sheet, new_id, discussion_id: int, body, *, touch_row: bool) -> dict:
    discussion = find(sheet, discussion_id)
    if isinstance(body, dict):
        unknown = sorted(set(body) - _COMMENT_KEYS)
        if unknown:
            raise parse_error(f'Unrecognized field "{unknown[0]}".')
    text = _text(body, "comment.text")
    now = utc_stamp()
    comment = Comment(new_id(), discussion.id, text, now)
    discussion.comments.append(comment)
    if discussion.parent_type == "ROW" and touch_row:
        row = sheet.rows_by_id.get(discussion.parent_id)
        if row is not None:
            row.modified_at = now
    sheet.changed()
    return {"message": "SUCCESS", "resultCode": 0, "result": comment.render(), "version": sheet.version}


def find(sheet: Sheet, discussion_id: int) -> Discussion:
    for discussion in sheet.discussions:
        if discussion.id == discussion_id:
            return discussion
    raise not_found()


def find_comment(sheet: Sheet, comment_id: int) -> dict:
    for discussion in sheet.discussions:
        for comment in discussion.comments:
            if comment.id == comment_id:
                return comment.render()
    raise not_found()


def of_row(sheet: Sheet, row_id: int) -> list[Discussion]:
    return [d for d in sheet.discussions if d.parent_type == "ROW" and d.parent_id == row_id]


def listed(sheet: Sheet, row_id: int | None, with_comments: bool) -> list[dict]:
    """A row's discussions (``row_id``) or every discussion of the sheet, oldest first [G]."""
    if row_id is not None:
        if row_id not in sheet.rows_by_id:
            raise not_found()
        chosen = of_row(sheet, row_id)
    else:
        chosen = list(sheet.discussions)
    return [d.render(with_comments) for d in chosen]


def forget_rows(sheet: Sheet, row_ids: set[int]) -> None:
    """Deleted rows take their discussions with them."""
    sheet.discussions = [d for d in sheet.discussions if not (d.parent_type == "ROW" and d.parent_id in row_ids)]
