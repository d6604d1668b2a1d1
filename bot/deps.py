"""What handlers need, passed to each ``register(app, deps)`` instead of imported globals."""

from __future__ import annotations

from dataclasses import dataclass

from bot.home_tab import HomePublisher
from bot.tasks import TaskSupervisor
from domain.admin import AdminDesk
from domain.analytics import Analytics
from domain.cancellation import Canceller
from domain.delegation import Delegation
from domain.desk import ActionDesk
from domain.escalation_desk import EscalationDesk
from domain.escalation_intake import EscalationIntake
from domain.feedback import FeedbackDesk
from domain.fulfilment_desk import FulfilmentDesk
from domain.job_runner import JobRunner
from domain.relay import Relay
from domain.service import RequestService
from domain.social_proof import SocialProof
from domain.tracking import Tracker


@dataclass(frozen=True)
class Deps:
    service: RequestService
    desk: ActionDesk
    tasks: TaskSupervisor
    jobs: JobRunner
    delegation: Delegation
    admin: AdminDesk
    tracker: Tracker
    canceller: Canceller
    homes: HomePublisher
    feedback: FeedbackDesk
    analytics: Analytics
    fulfilment: FulfilmentDesk
    escalations: EscalationDesk
    intake: EscalationIntake
    relay: Relay
    proof: SocialProof
