"""Trust and safety: identity verification, background checks, risk scores."""

from __future__ import annotations

from rastup_data.simulate.desk import Desk
from rastup_data.simulate.emitter import Actor
from rastup_data.simulate.population import Person

__all__ = ["TrustDesk", "risk_bucket"]

_IDV_FAIL_CODES = ("document_expired", "face_mismatch", "document_unreadable")


def risk_bucket(score: int) -> str:
    """The bucket of a 0–100 risk score."""
    if score >= 95:
        return "critical"
    if score >= 80:
        return "action"
    if score >= 60:
        return "watch"
    return "none"


class TrustDesk(Desk):
    """Emits the backend's trust events for people and bookings."""

    def on_signup(self, person: Person, user_id: str, role: str, t: int) -> None:
        rng = self._rng
        ctx = self._population.backend_contexts[person.city]
        self.score(ctx, user_id, user_id, t + 1_000)
        if role != "client" or rng.random() < 0.25:
            self.verify_identity(ctx, user_id, role, t + 30_000 + int(rng.random() * 600_000))
        if role == "talent":
            check_id = self._ids.new("bgc_")
            result = rng.choices(("clear", "consider", "suspended"), weights=(0.86, 0.11, 0.03))[0]
            t_done = t + 3_600_000 + int(rng.random() * 40 * 3_600_000)
            self._emit(
                "bgcheck.completed",
                t_done,
                Actor(ctx, user_id, None, None),
                {"check_id": check_id, "result": result},
                client=False,
            )

    def verify_identity(self, ctx: dict[str, str], user_id: str, role: str, t: int) -> None:
        rng = self._rng
        check_id = self._ids.new("idv_")
        self._emit(
            "idv.started",
            t,
            Actor(ctx, user_id, None, None),
            {"check_id": check_id, "subject_role": role},
            client=False,
        )
        t += 60_000 + int(rng.random() * 1_800_000)
        outcome = rng.random()
        if outcome < 0.84:
            self._emit(
                "idv.passed",
                t,
                Actor(ctx, user_id, None, None),
                {"check_id": check_id},
                client=False,
            )
        elif outcome < 0.97:
            code = _IDV_FAIL_CODES[rng.randrange(len(_IDV_FAIL_CODES))]
            self._emit(
                "idv.failed",
                t,
                Actor(ctx, user_id, None, None),
                {"check_id": check_id, "reason_code": code},
                client=False,
            )

    def score(self, ctx: dict[str, str], user_id: str, subject_id: str, t: int) -> None:
        score = min(100, int(self._rng.betavariate(2.0, 5.0) * 130))
        self._emit(
            "risk.scored",
            t,
            Actor(ctx, user_id, None, None),
            {"subject_id": subject_id, "score": score, "bucket": risk_bucket(score)},
            client=False,
        )
