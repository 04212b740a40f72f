"""dial locks kept alive: the last sign that the holder is still on the call

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dial_locks") as batch:
        batch.add_column(sa.Column("kept_at", sa.DateTime(timezone=True), nullable=True))
    # A lock taken before this knew only when the call started.
    op.execute("UPDATE dial_locks SET kept_at = since")
    with op.batch_alter_table("dial_locks") as batch:
        batch.alter_column("kept_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("dial_locks") as batch:
        batch.drop_column("kept_at")
