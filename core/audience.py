"""SQL fragments for who may see a stored object: `audience` is NULL (everyone entitled) or the parties a sender
addressed it to (core/routing/addressed.py). A leaf module: repositories of every aggregate use it."""

from __future__ import annotations


# The audience after a write whose own audience is `EXCLUDED.audience` (NULL, or its addressee alone), in an
# `ON CONFLICT DO UPDATE` on `table`: what anyone may see stays so, and an object addressed to several parties in turn
# is shown to each of them (one object per id: the newest content is what they all see).
def merged_audience(table: str, *, gone: str = "false") -> str:
    return (
        f"CASE WHEN EXCLUDED.audience IS NULL OR ({gone}) THEN EXCLUDED.audience"
        f" WHEN {table}.audience IS NULL THEN NULL"
        f" ELSE ARRAY(SELECT DISTINCT a FROM unnest({table}.audience || EXCLUDED.audience) AS a ORDER BY a) END"
    )


def visible_to(placeholder: str) -> str:
    """SQL: the row may be shown to the party `placeholder` names ("CC/PID"; '' shows every row, for operators):
    everyone's, addressed to it, or its own."""
    return (
        f"({placeholder} = '' OR audience IS NULL OR {placeholder} = ANY(audience)"
        f" OR {placeholder} = country_code || '/' || party_id)"
    )
