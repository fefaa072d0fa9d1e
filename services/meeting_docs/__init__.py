"""A meeting's agenda and minutes as files: `minutes` lays the meeting out as blocks
(`document`), `docx` and `pdf` draw the same blocks; `prose` writes the agenda's drafted text.
Nothing is imported here, so `services.meetings` can use `prose` without a cycle."""
