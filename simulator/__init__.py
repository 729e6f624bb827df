"""A simulator of Flowroute's messaging API, for tests, the demo and the benchmarks."""

from .app import create_app, serve
from .core import InboundMedia, SendRequest, Simulator
from .errors import ApiError
from .faults import Endpoint, Fault, FaultKind, FaultTarget
from .receipts import Receipt, ReceiptMode, ReceiptRule
from .settings import OptOutMode, Settings
from .state import (
    DEFAULT_ACCOUNT,
    Account,
    CallbackAttempt,
    CallbackEvent,
    CallbackKind,
    Direction,
    MessageKind,
    MessageRecord,
    SendAttempt,
    SimNumber,
    SimulatorState,
)
from .testing import TEST_SETTINGS, RunningSimulator, basic_authorization, run_simulator

__all__ = [
    "DEFAULT_ACCOUNT",
    "TEST_SETTINGS",
    "Account",
    "ApiError",
    "CallbackAttempt",
    "CallbackEvent",
    "CallbackKind",
    "Direction",
    "Endpoint",
    "Fault",
    "FaultKind",
    "FaultTarget",
    "InboundMedia",
    "MessageKind",
    "MessageRecord",
    "OptOutMode",
    "Receipt",
    "ReceiptMode",
    "ReceiptRule",
    "RunningSimulator",
    "SendAttempt",
    "SendRequest",
    "Settings",
    "SimNumber",
    "Simulator",
    "SimulatorState",
    "basic_authorization",
    "create_app",
    "run_simulator",
    "serve",
]
