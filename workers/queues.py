"""Queue names, spelled once; the worker listens to all of them."""


class QueueNames:
    URGENT = "urgent"  # allocation and escalation: a call-back's clock is running
    MESSAGES = "messages"
    MAINTENANCE = "maintenance"

    @classmethod
    def all(cls) -> list[str]:
        """Return every queue, most urgent first, as the worker should poll them."""
        return [cls.URGENT, cls.MESSAGES, cls.MAINTENANCE]


JOB_QUEUES = {
    "allocate_task": QueueNames.URGENT,
    "check_task_deadline": QueueNames.URGENT,
    "send_message": QueueNames.MESSAGES,
    "sweep": QueueNames.MAINTENANCE,
}
