"""unanswered tries: only unanswered tries made at their retry time use up the attempts

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(
            sa.Column("unanswered_tries", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("task_attempts") as batch:
        batch.add_column(
            sa.Column("counted", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    # Attempts already made were all counted then; of them, only the unanswered ones count now.
    op.execute(
        "UPDATE tasks SET unanswered_tries = (SELECT count(*) FROM task_attempts "
        "WHERE task_attempts.task_id = tasks.id "
        "AND task_attempts.outcome IN ('no_answer', 'voicemail'))"
    )


def downgrade() -> None:
    with op.batch_alter_table("task_attempts") as batch:
        batch.drop_column("counted")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("unanswered_tries")
