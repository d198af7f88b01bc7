"""What the Bind client tests share: the invoice route's pattern for the emulator's faults, a sleep that records."""

INVOICES = r"/api/Invoices$"


class Sleeps(list):
    """Records the waits instead of sleeping them."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
