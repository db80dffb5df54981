"""Messages to users and what happens to them: delivery, bounces, complaints, opt-outs."""

from __future__ import annotations

from rastup_data.simulate.desk import Desk
from rastup_data.simulate.emitter import Actor

__all__ = ["CommsDesk"]

_MARKETING_CHANNELS = ("email", "sms", "push")
_MARKETING_TEMPLATES = ("winter_shoot_offers", "new_talent_near_you", "studio_weekend_deals")
_DIGEST_SUPPRESS_REASONS = ("recently active", "frequency cap reached", "quiet hours")


class CommsDesk(Desk):
    """Sends messages as the backend and plays out their fate."""

    def send(
        self,
        ctx: dict[str, str],
        user_id: str,
        t: int,
        channel: str,
        category: str,
        template: str,
    ) -> None:
        rng = self._rng
        emit = self._emit
        message_id = self._ids.new("msg_")
        payload = {
            "message_id": message_id,
            "channel": channel,
            "category": category,
            "template": template,
        }
        emit("comms.sent", t, Actor(ctx, user_id, None, None), payload, client=False)
        t += 2_000 + int(rng.random() * 60_000)
        outcome = rng.random()
        if outcome < 0.04:
            bounce_type = "hard" if rng.random() < 0.35 else "soft"
            emit(
                "comms.bounced",
                t,
                Actor(ctx, user_id, None, None),
                {"message_id": message_id, "channel": channel, "bounce_type": bounce_type},
                client=False,
            )
            return
        if outcome >= 0.985:
            return  # delivery never confirmed
        emit(
            "comms.delivered",
            t,
            Actor(ctx, user_id, None, None),
            {"message_id": message_id, "channel": channel},
            client=False,
        )
        if category == "transactional":
            return
        t += 600_000 + int(rng.random() * 6 * 3_600_000)
        fate = rng.random()
        if fate < 0.01:
            emit(
                "comms.complained",
                t,
                Actor(ctx, user_id, None, None),
                {"message_id": message_id, "channel": channel},
                client=False,
            )
        elif fate < 0.025:
            emit(
                "comms.opted_out",
                t,
                Actor(ctx, user_id, None, None),
                {"channel": channel, "category": category},
                client=False,
            )

    def marketing(self, ctx: dict[str, str], user_id: str, t: int) -> None:
        rng = self._rng
        channel = _MARKETING_CHANNELS[rng.randrange(3)]
        template = _MARKETING_TEMPLATES[rng.randrange(len(_MARKETING_TEMPLATES))]
        self.send(ctx, user_id, t, channel, "marketing", template)

    def digest(self, ctx: dict[str, str], user_id: str, t: int) -> None:
        rng = self._rng
        if rng.random() < 0.2:
            reason = _DIGEST_SUPPRESS_REASONS[rng.randrange(len(_DIGEST_SUPPRESS_REASONS))]
            self._emit(
                "comms.digest_suppressed",
                t,
                Actor(ctx, user_id, None, None),
                {"digest_id": self._ids.new("dg_"), "channel": "email", "reason": reason},
                client=False,
            )
        else:
            self.send(ctx, user_id, t, "email", "digest", "weekly_digest")
