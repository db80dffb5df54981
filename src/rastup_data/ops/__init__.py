"""Operations: metrics, alerts, runbooks."""
