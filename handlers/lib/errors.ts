/**
 * Named failures. The class name is the error name Step Functions sees (Lambda reports `error.name`
 * as the errorType), so Retry/Catch in the workflow match these names exactly: rename with care.
 */
abstract class NamedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The handler's event is malformed: a wiring bug in the state machine, never retried. */
export class InvalidHandlerEvent extends NamedError {}
/** The operator's execution input is malformed; raised before any AWS call. */
export class InvalidExecutionInput extends NamedError {}
/** The deployment is not in a state the runbook may start from (nothing has been changed). */
export class PreflightFailed extends NamedError {}
/** The task definition cannot be moved to the target image (container missing, bad shape). */
export class TaskDefinitionNotRetargetable extends NamedError {}

/** The service runs no task. */
export class NoRunningTask extends NamedError {}
/** More than one task runs where the upgrade must reach exactly one (goose has no lock). */
export class MoreThanOneTask extends NamedError {}
/** The task is still starting (provisioning, pending) or has no address yet: retried, bounded. */
export class TaskNotReady extends NamedError {}
/** The task stopped (its container exited, or someone stopped it). */
export class TaskStopped extends NamedError {}
/** What the restart brought is not what was approved: another image digest, or other migrations pending. */
export class PlanChanged extends NamedError {}

/** Nothing listens yet (connection refused, host unreachable): the task may still be starting. */
export class MigrationServiceUnavailable extends NamedError {}
/** It accepted the connection but did not answer in time: goose may be holding its event loop. */
export class MigrationServiceBusy extends NamedError {}
/** The upgrade routes answer 404: the image runs with MF_MIGRATION_ENDPOINTS_ENABLED=0. */
export class MigrationEndpointsDisabled extends NamedError {}
/**
 * The migration service is configured right but cannot reach the database now (refused, timed out,
 * starting up or shutting down: a reboot, a failover): waited out within a bounded wait.
 */
export class DatabaseUnavailable extends NamedError {}
/** The database refuses the migration service's settings (SSL, password, unknown database or user): configuration, not schema. */
export class DatabaseConnectionMisconfigured extends NamedError {}
/** Any other 500 from the migration service; its `detail` is in the message. */
export class MigrationServiceError extends NamedError {}
/** An answer that does not match the documented contract (wrong status, wrong body shape). */
export class UnexpectedResponse extends NamedError {}
/** The database's schema is newer than this image knows: every migration would look unapplied. */
export class SchemaVersionUnknown extends NamedError {}

/** PATCH /upgrade answered 500 `upgrade failed`. */
export class UpgradeFailed extends NamedError {}
/** PATCH /upgrade timed out or lost its connection: goose may still be running. Never re-send. */
export class UpgradeOutcomeUnknown extends NamedError {}

/** The metadata service (8080) does not answer. */
export class MetadataServiceUnavailable extends NamedError {}
/** The metadata service answers with a version below the configured minimum. */
export class VersionTooOld extends NamedError {}

/** The start attestation does not verify, or is stale: a requester that looks verified and is not. */
export class RequesterNotVerified extends NamedError {}
/** An approval without a valid attestation of the runbook's endpoint, where approvers are configured. */
export class ApproverNotVerified extends NamedError {}
/** A verified caller who is not one of the configured approvers. */
export class ApproverNotAllowed extends NamedError {}
/** The requester tried to approve their own change (approval.allowSelfApproval is false). */
export class SelfApprovalRefused extends NamedError {}
/** The endpoint was asked to answer an execution that is not waiting for approval. */
export class NotWaitingForApproval extends NamedError {}
/** The endpoint's request is malformed (path, body, a field); nothing was called. */
export class InvalidEndpointRequest extends NamedError {}
/** A setting the endpoint's environment must carry is missing or malformed: a deployment bug. */
export class EndpointMisconfigured extends NamedError {}
