"""message tries: how many times a text was tried, when next, and why the last try failed

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing rows start at no tries; a row left sending has no claimed_at, and the sweep
    # treats that as stalled, so none is left waiting for ever.
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("error_code", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("tries", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_messages_status", "messages", ["status"])


def downgrade() -> None:
    op.drop_index("ix_messages_status", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("claimed_at")
        batch.drop_column("next_try_at")
        batch.drop_column("tries")
        batch.drop_column("error_code")
