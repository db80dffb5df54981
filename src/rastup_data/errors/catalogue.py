"""The catalogue of error codes, by code name: for each, its meaning, what to do, the HTTP
status it answers with (None: not a request error), its severity, its component and its
runbook. ``docs/error-codes.md`` is rendered from this table, in this order; every name is
an :class:`~rastup_data.errors.codes.ErrorCode` (``codes.py`` checks it at import)."""

from __future__ import annotations

from rastup_data.errors.info import ErrorInfo, Severity

__all__ = ["CATALOGUE"]

_R = "docs/runbooks/"

CATALOGUE: dict[str, ErrorInfo] = {
    "EVENT_SCHEMA_INVALID": ErrorInfo(
        "The event's payload does not match the registered schema for its name and version.",
        "Fix the emitter, or publish a new schema version; then `rastup-data replay`.",
        None,
        Severity.WARNING,
        "collector",
        _R + "schema-break.md",
    ),
    "EVENT_ENVELOPE_INVALID": ErrorInfo(
        "The envelope (event, v, occurred_at, context, ids, payload …) is missing or wrong.",
        "Send envelopes as in `rastup-data contracts examples`.",
        None,
        Severity.WARNING,
        "collector",
        _R + "schema-break.md",
    ),
    "EVENT_PUT_FAILED": ErrorInfo(
        "The collector could not make accepted events durable (spool write or fsync failed).",
        "Nothing was acknowledged; the client retries. Check disk space and permissions.",
        503,
        Severity.CRITICAL,
        "collector",
        _R + "spool-full.md",
    ),
    "PIPELINE_LAG_EXCEEDED": ErrorInfo(
        "Events wait longer than the SLO between receipt and visibility in Bronze.",
        "Follow the pipeline-lag runbook: check the lander, disk, and heavy builds.",
        None,
        Severity.ERROR,
        "lander",
        _R + "pipeline-lag.md",
    ),
    "CTAS_FAILURE": ErrorInfo(
        "A model build (Silver/Gold) failed; nothing was published.",
        "Read the model error in the build output, fix it, and rebuild.",
        None,
        Severity.ERROR,
        "transform",
        _R + "build-failure.md",
    ),
    "QUALITY_CHECK_FAILED": ErrorInfo(
        "An error-severity quality check failed; the build was not published.",
        "Inspect the named check and sample rows; fix the data or the model, rebuild.",
        None,
        Severity.ERROR,
        "quality",
        _R + "quality-failure.md",
    ),
    "ATHENA_SCANNED_BYTES_BREACH": ErrorInfo(
        "A query would scan more bytes than the per-query cap, or the daily budget is spent.",
        "Add a partition filter (dt) or narrow the columns (`query --explain` shows the "
        "estimate); ask for a budget raise.",
        400,
        Severity.WARNING,
        "governance",
        _R + "high-spend.md",
    ),
    "BI_REFRESH_FAILED": ErrorInfo(
        "A BI dataset's extract refresh failed twice in a row (no published build, a "
        "storage error, or the extract capacity is full); dashboards show the previous extract.",
        "Read `rastup-data bi status`, fix the cause, and run `rastup-data bi refresh DATASET`.",
        None,
        Severity.ERROR,
        "bi",
        _R + "bi-refresh-failed.md",
    ),
    "BI_SCHEDULE_INVALID": ErrorInfo(
        "The BI refresh schedule (dashboards/refresh.yaml) is malformed, names an unknown "
        "dataset, or asks for more than 6 refreshes a day for a dataset.",
        "Fix the file and path named in the message (see docs/dashboards.md).",
        None,
        Severity.ERROR,
        "bi",
        _R + "config-invalid.md",
    ),
    "DASHBOARD_FILTER_INVALID": ErrorInfo(
        "A dashboard page or tile was asked for with filters that are not valid: a date that "
        "is not YYYY-MM-DD, an empty or over-a-year range, or a malformed city code.",
        "Pick the dates and the city with the page's filter form.",
        400,
        Severity.INFO,
        "bi",
        None,
    ),
    "DASHBOARD_INVALID": ErrorInfo(
        "A dashboard definition (dashboards/*.yaml) is malformed or names an unknown dataset, "
        "column or tile.",
        "Fix the file and path named in the message (see docs/dashboards.md).",
        None,
        Severity.ERROR,
        "bi",
        _R + "config-invalid.md",
    ),
    "DSAR_CONFLICT": ErrorInfo(
        "A purge met a legal hold on the subject: that request is blocked (reads stay "
        "excluded), the other requests were purged.",
        "Do not force it: ask the case owner; once `rastup-data hold release CASE` is run, the "
        "next `rastup-data dsar purge` proceeds.",
        409,
        Severity.WARNING,
        "privacy",
        _R + "dsar-conflict.md",
    ),
    "EVENT_UNKNOWN": ErrorInfo(
        "No schema is registered for this event name and version.",
        "Register the schema in the registry, or fix the event name/version.",
        None,
        Severity.WARNING,
        "collector",
        _R + "schema-break.md",
    ),
    "EVENT_MALFORMED_JSON": ErrorInfo(
        "One NDJSON line is not a JSON object.",
        "Send one JSON object per line.",
        None,
        Severity.WARNING,
        "collector",
        _R + "schema-break.md",
    ),
    "EVENT_PII_DETECTED": ErrorInfo(
        "A string value looks like an email, phone number, card number or IP address.",
        "Remove personal data from the event; use pseudonymous ids.",
        None,
        Severity.WARNING,
        "collector",
        _R + "schema-break.md",
    ),
    "EVENT_TOO_LARGE": ErrorInfo(
        "One event is larger than the per-event limit (32 KiB by default).",
        "Send smaller events; large blobs do not belong in events.",
        None,
        Severity.WARNING,
        "collector",
        None,
    ),
    "EVENT_DUPLICATE": ErrorInfo(
        "An event with this event_id was already accepted within the dedupe window.",
        "Nothing to do: the event is stored once.",
        None,
        Severity.INFO,
        "collector",
        None,
    ),
    "EVENT_TOO_DEEP": ErrorInfo(
        "One event nests objects and arrays deeper than the limit (32 levels by default).",
        "Flatten the event; the rest of the batch is unaffected.",
        None,
        Severity.WARNING,
        "collector",
        None,
    ),
    "BODY_MALFORMED": ErrorInfo(
        "The body does not match its Content-Type (a JSON array for application/json), or "
        "is not valid gzip.",
        "Send a JSON array as application/json or NDJSON as application/x-ndjson (optionally "
        "gzip with Content-Encoding: gzip).",
        400,
        Severity.WARNING,
        "collector",
        None,
    ),
    "BODY_TOO_LARGE": ErrorInfo(
        "The body, compressed or decompressed, exceeds the configured limit.",
        "Send smaller batches (limits: docs/sending-events.md).",
        413,
        Severity.WARNING,
        "collector",
        None,
    ),
    "BATCH_TOO_LARGE": ErrorInfo(
        "The request holds more events than allowed per request.",
        "Split the batch (1,000 events per request by default).",
        413,
        Severity.WARNING,
        "collector",
        None,
    ),
    "UNSUPPORTED_MEDIA_TYPE": ErrorInfo(
        "The Content-Type or Content-Encoding of the body is not one the collector reads.",
        "Send application/json or application/x-ndjson, uncompressed or gzip.",
        415,
        Severity.WARNING,
        "collector",
        None,
    ),
    "AUTH_FAILED": ErrorInfo(
        "No API key, or an unknown one, was presented.",
        "Send `Authorization: Bearer KEY` with a key from RASTUP_INGEST_KEYS.",
        401,
        Severity.WARNING,
        "collector",
        None,
    ),
    "INGEST_OVERLOADED": ErrorInfo(
        "The spool is full or the lander is behind; the request was not accepted.",
        "Retry after the Retry-After seconds; if persistent, see the runbook.",
        503,
        Severity.ERROR,
        "collector",
        _R + "spool-full.md",
    ),
    "LAND_FAILED": ErrorInfo(
        "The lander could not write a spool segment to Bronze; it will retry.",
        "Check disk space and permissions of the lake; the segment stays in the spool.",
        None,
        Severity.CRITICAL,
        "lander",
        _R + "pipeline-lag.md",
    ),
    "COLLECTOR_UNREACHABLE": ErrorInfo(
        "A client (`send` or the SDK) could not reach the collector, or timed out, on every try.",
        "Check the URL (--url / RASTUP_URL) and that the collector runs; sending again is "
        "safe (event_ids make it idempotent).",
        None,
        Severity.ERROR,
        "client",
        _R + "service-unavailable.md",
    ),
    "REQUEST_MALFORMED": ErrorInfo(
        "The HTTP request itself is not acceptable: broken framing (e.g. a Content-Length "
        "that does not match the body), an Upgrade to another protocol, or bad headers.",
        "Send plain HTTP/1.1 requests with a correct Content-Length; nothing was stored.",
        400,
        Severity.WARNING,
        "collector",
        None,
    ),
    "REQUEST_TIMEOUT": ErrorInfo(
        "The request's headers or body did not arrive within the collector's timeouts.",
        "Retry; if it persists, send smaller batches or check the network. Nothing was stored.",
        408,
        Severity.WARNING,
        "collector",
        None,
    ),
    "ROUTE_NOT_FOUND": ErrorInfo(
        "No such path on the collector.",
        "See /openapi.json for the API.",
        404,
        Severity.INFO,
        "collector",
        None,
    ),
    "METHOD_NOT_ALLOWED": ErrorInfo(
        "The path exists but does not take this HTTP method.",
        "See /openapi.json for the API.",
        405,
        Severity.INFO,
        "collector",
        None,
    ),
    "INTERNAL_ERROR": ErrorInfo(
        "An unexpected error in the collector (a bug); the request was not accepted.",
        "Retry; report the traceback from the collector's log.",
        500,
        Severity.CRITICAL,
        "collector",
        _R + "service-unavailable.md",
    ),
    "CONTRACT_LINT_FAILED": ErrorInfo(
        "A registry schema breaks a rule (PII-like name, no description/owner/examples …).",
        "Fix the schema as the lint output says.",
        None,
        Severity.ERROR,
        "contracts",
        _R + "schema-break.md",
    ),
    "CONTRACT_BREAKING_CHANGE": ErrorInfo(
        "A schema changed incompatibly without being published as a new version.",
        "Publish the change as a new version (v+1) and keep the old one.",
        None,
        Severity.ERROR,
        "contracts",
        _R + "schema-break.md",
    ),
    "CONFIG_INVALID": ErrorInfo(
        "A setting, command-line option or input file is invalid or missing.",
        "Correct what the message names: `rastup-data COMMAND --help` lists the options, "
        "docs/environment-variables.md the settings.",
        None,
        Severity.ERROR,
        "config",
        _R + "config-invalid.md",
    ),
    "STATE_UNAVAILABLE": ErrorInfo(
        "The state database server (RASTUP_STATE_URL) refused or did not answer a connection.",
        "Check that the server runs and the URL's host, port, database, user and password are "
        "right (see docs/state-database.md).",
        503,
        Severity.CRITICAL,
        "state",
        _R + "service-unavailable.md",
    ),
    "STORAGE_UNAVAILABLE": ErrorInfo(
        "The lake's object store (an s3:// lake) refused a request, or its bucket is missing.",
        "Check RASTUP_S3_ENDPOINT, the AWS credentials and that the bucket exists "
        "(see docs/scale-out.md).",
        503,
        Severity.CRITICAL,
        "storage",
        _R + "service-unavailable.md",
    ),
    "SPARK_UNAVAILABLE": ErrorInfo(
        "Local Spark (`build --target spark`) could not start: PySpark is not installed or "
        "no Java 17 or newer runs it.",
        "Install the spark extra (`make setup` does, or `uv sync --extra spark`) and Java 17+ "
        "(scripts/ensure-java.sh); see docs/scale-out.md.",
        None,
        Severity.ERROR,
        "transform",
        _R + "spark-unavailable.md",
    ),
    "QUERY_INVALID": ErrorInfo(
        "The query failed to parse or run, is not one read-only statement, or was given "
        "another number of parameter values than it takes.",
        'Fix the SQL, or give one value per `?` (`--param`, `"params"`); list tables '
        "with `rastup-data query --tables`.",
        400,
        Severity.WARNING,
        "serving",
        None,
    ),
    "EXPERIMENT_INVALID": ErrorInfo(
        "An experiment definition or analysis input is invalid.",
        "Fix the definition or the input as the message says.",
        None,
        Severity.WARNING,
        "experiments",
        None,
    ),
    "LAKE_NOT_FOUND": ErrorInfo(
        "The lake folder given (--lake, $RASTUP_LAKE, else ./lake) does not exist, or holds no "
        "Bronze events for a command that needs them; nothing was created.",
        "Pass the right --lake DIR or set RASTUP_LAKE; land events first (`serve` and `send`, "
        "or `lake load FILE`).",
        None,
        Severity.ERROR,
        "lake",
        _R + "service-unavailable.md",
    ),
    "ACCESS_DENIED": ErrorInfo(
        "The query reads a relation, column or function the principal's role is not granted "
        "(files, settings and the catalogue included), or an audit needs an admin.",
        "Query only what `rastup-data query --tables` lists for you; ask an admin for a role.",
        403,
        Severity.WARNING,
        "governance",
        None,
    ),
    "AUTH_TOKEN_INVALID": ErrorInfo(
        "No token, or a wrong, expired or revoked token, was presented to the query gate.",
        "Send `Authorization: Bearer TOKEN` (or `--token` / RASTUP_TOKEN) with a token from "
        "`rastup-data auth token create`.",
        401,
        Severity.WARNING,
        "governance",
        None,
    ),
    "PARTITION_FILTER_REQUIRED": ErrorInfo(
        "A query reads a large fact or Bronze without a constant predicate on its dt column.",
        "Add e.g. `WHERE dt BETWEEN DATE '2026-01-01' AND DATE '2026-01-07'` next to the relation.",
        400,
        Severity.WARNING,
        "governance",
        _R + "high-spend.md",
    ),
    "QUERY_LIMIT_EXCEEDED": ErrorInfo(
        "A query ran longer than its role's time limit and was stopped.",
        "Narrow the query (dates, columns, aggregation) or ask for a role with a longer limit.",
        400,
        Severity.WARNING,
        "governance",
        _R + "runaway-query.md",
    ),
    "QUERY_KILLED": ErrorInfo(
        "An operator stopped the running query (`rastup-data queries kill ID`), e.g. a runaway "
        "during high spend.",
        "Ask the operator why before running it again; narrow it (dates, columns) first.",
        400,
        Severity.WARNING,
        "governance",
        _R + "runaway-query.md",
    ),
    "QUERY_ANSWER_TOO_LARGE": ErrorInfo(
        "A query's answer passed its role's byte budget (or needed more memory than the gate "
        "allows) and was stopped before it was sent.",
        "Narrow the query (dates, columns, fewer or shorter values) or aggregate it.",
        400,
        Severity.WARNING,
        "governance",
        _R + "runaway-query.md",
    ),
    "QUERY_SPILL_TOO_LARGE": ErrorInfo(
        "A query (a large sort, join or aggregate) needed more temporary disk space than its "
        "role may spill to (`limits.max_temp_bytes`) and was stopped.",
        "Narrow the query (dates, columns) or aggregate it before sorting or joining.",
        400,
        Severity.WARNING,
        "governance",
        _R + "runaway-query.md",
    ),
    "QUERY_NOT_RUNNING": ErrorInfo(
        "`rastup-data queries kill ID` named no running query: it finished already, or the id "
        "is wrong.",
        "List the running queries with `rastup-data queries running` and copy the id.",
        404,
        Severity.WARNING,
        "governance",
        _R + "runaway-query.md",
    ),
    "POLICY_INVALID": ErrorInfo(
        "The governance policy file is malformed or inconsistent.",
        "Fix the file and path named in the message (see docs/governance.md).",
        None,
        Severity.ERROR,
        "governance",
        _R + "config-invalid.md",
    ),
    "AUDIT_CHAIN_BROKEN": ErrorInfo(
        "An audit record was changed, removed or inserted: its hash chain does not verify.",
        "Treat as a security incident: preserve the state database and investigate from the "
        "first broken record named.",
        None,
        Severity.CRITICAL,
        "governance",
        _R + "audit-chain-broken.md",
    ),
    "SCANNED_BYTES_BUDGET_WARNING": ErrorInfo(
        "The environment's scanned bytes today passed the alarm share (80 %) of its daily budget.",
        "Find the heavy principals and relations with `rastup-data cost report --by principal`.",
        None,
        Severity.WARNING,
        "governance",
        _R + "high-spend.md",
    ),
    "WEBHOOK_PROVIDER_UNKNOWN": ErrorInfo(
        "A webhook was posted for a provider that is unknown or has no secret configured.",
        "Use /v1/webhooks/payments, idv or email, and configure its secret "
        "(RASTUP_WEBHOOK_SECRETS or [collector.webhook_secrets]); see docs/webhooks.md.",
        404,
        Severity.WARNING,
        "collector",
        None,
    ),
    "WEBHOOK_SIGNATURE_INVALID": ErrorInfo(
        "A webhook delivery had no signature, or none that matches a configured secret.",
        "Check the provider's signing secret against the configured one (both are kept "
        "while a secret rotates); forged deliveries are refused on purpose.",
        401,
        Severity.WARNING,
        "collector",
        None,
    ),
    "WEBHOOK_TIMESTAMP_OUT_OF_RANGE": ErrorInfo(
        "A correctly signed webhook delivery was signed more than 300 s before or after "
        "the receiver's clock.",
        "Check both clocks (NTP); a delayed or replayed delivery is refused on purpose and "
        "the provider retries with a fresh timestamp.",
        401,
        Severity.WARNING,
        "collector",
        None,
    ),
    "WEBHOOK_REPLAYED": ErrorInfo(
        "A webhook delivery (provider, delivery id, timestamp) was already received.",
        "Nothing to do for a replay; a provider's genuine retry carries a new timestamp.",
        409,
        Severity.WARNING,
        "collector",
        None,
    ),
    "WEBHOOK_EVENT_UNSUPPORTED": ErrorInfo(
        "A signed webhook notification of a type no normalizer maps; it was acknowledged "
        "and quarantined with its raw body.",
        "Map the type in rastup_data/webhooks/providers/ if it matters, or stop the "
        "provider sending it.",
        None,
        Severity.INFO,
        "collector",
        None,
    ),
    "WEBHOOK_PAYLOAD_INVALID": ErrorInfo(
        "A signed webhook notification could not be read (not JSON, or a mapped type "
        "without a field the normalizer needs); it was acknowledged and quarantined.",
        "Read the quarantined body (bronze/_bad) and fix the sender or the normalizer.",
        None,
        Severity.WARNING,
        "collector",
        None,
    ),
    "SEGMENT_MESSAGE_UNMAPPED": ErrorInfo(
        "A message of the Segment-compatible API that maps to no catalogue event (a page, "
        "screen or group call, an unknown type, an identify without both ids, an alias of a "
        "user id); it was acknowledged and quarantined without its traits.",
        "Send catalogue events as `track` calls and link ids with `identify`/`alias` "
        "(docs/segment-api.md), or stop sending these calls.",
        None,
        Severity.INFO,
        "collector",
        None,
    ),
    "EVENT_SUBJECT_ERASED": ErrorInfo(
        "The event's user or anonymous id belongs to a subject erased by a DSAR; the event "
        "was not stored (verdict status `suppressed`).",
        "Do not retry: the subject asked to be erased. Stop sending their events.",
        None,
        Severity.INFO,
        "collector",
        None,
    ),
    "DSAR_INVALID": ErrorInfo(
        "A DSAR or legal-hold command was given an unknown request or case, a malformed "
        "subject or date, or an operation the request's state does not allow.",
        "Fix the input as the message says; `rastup-data dsar status` lists requests.",
        400,
        Severity.WARNING,
        "privacy",
        None,
    ),
    "DSAR_VERIFY_FAILED": ErrorInfo(
        "Verification found the subject's ids in a store after the purge; the request stays "
        "`purged` and is not verified.",
        "Run `rastup-data dsar purge` again, then `dsar verify`; the certificate names the "
        "stores with hits.",
        409,
        Severity.ERROR,
        "privacy",
        _R + "dsar-verify-failed.md",
    ),
    "DSAR_OVERDUE": ErrorInfo(
        "An erasure request passed its deadline (30 days, or its extension) without being "
        "verified.",
        "Find it with `rastup-data dsar list --overdue`; purge and verify it, or extend it once "
        "with a reason.",
        None,
        Severity.ERROR,
        "privacy",
        _R + "dsar-overdue.md",
    ),
}
