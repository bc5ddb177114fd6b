import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { PollConfig } from '../../infra/config';

export interface BoundedPollProps {
  /** Console name of the loop's entry, e.g. "Wait for snapshot available". */
  readonly title: string;
  /** Why this wait exists, shown as the entry's Comment. */
  readonly why: string;
  /** Key under `$.polls` holding the attempt count and start time. */
  readonly counter: string;
  /** The describe call; must write its answer with a ResultPath. */
  readonly check: sfn.TaskStateBase;
  /** The Choice's name, a question an operator can read: "Is the snapshot available?". */
  readonly question: string;
  readonly done: sfn.Condition;
  /** A state the wait can never leave for the better (a failed snapshot, an inactive service). */
  readonly failed?: { readonly condition: sfn.Condition; readonly name: string; readonly error: string; readonly cause: string };
  /** Errors of the check that mean "not yet" rather than "broken" (a busy service). */
  readonly notYetErrors?: string[];
  readonly poll: PollConfig;
  /** Error name when the attempts run out: a named failure, never an endless loop. */
  readonly timeoutError: string;
  /** Values copied into `$.polls.<counter>` at entry and kept across attempts (e.g. the previous deployment). */
  readonly remember?: Record<string, string>;
}

/**
 * Wait → describe → Choice, bounded: the guide's "wait until ..." as a loop with a configured interval
 * and a maximum number of attempts. Running out of attempts raises `timeoutError` through a Fail
 * state, which the enclosing phase catches and rolls back from.
 */
export class BoundedPoll extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];

  constructor(scope: Construct, props: BoundedPollProps) {
    super(scope, `fragment: ${props.title}`);
    const path = `$.polls.${props.counter}`;
    const remembered = Object.fromEntries(Object.entries(props.remember ?? {}).map(([key, from]) => [`${key}.$`, from]));
    const keep = Object.fromEntries(Object.keys(props.remember ?? {}).map((key) => [`${key}.$`, `${path}.${key}`]));
    const entry = new sfn.Pass(scope, props.title, {
      comment: `${props.why} Checks every ${props.poll.intervalSeconds} s, at most ${props.poll.maxAttempts} times.`,
      parameters: { attempts: 1, 'StartedAt.$': '$$.State.EnteredTime', ...remembered },
      resultPath: path,
    });
    const count = new sfn.Pass(scope, `${props.title}: count attempt`, {
      comment: 'Counts the attempt so the wait stays bounded.',
      parameters: { 'attempts.$': `States.MathAdd(${path}.attempts, 1)`, 'StartedAt.$': `${path}.StartedAt`, ...keep },
      resultPath: path,
    });
    const pause = new sfn.Wait(scope, `${props.title}: pause`, {
      comment: `Waits ${props.poll.intervalSeconds} s before looking again.`,
      time: sfn.WaitTime.duration(Duration.seconds(props.poll.intervalSeconds)),
    });
    const timedOut = new sfn.Fail(scope, `${props.title}: gave up`, {
      comment: 'The wait ran out of attempts; the phase around it rolls back.',
      error: props.timeoutError,
      cause: `${props.title}: not done after ${props.poll.maxAttempts} checks ${props.poll.intervalSeconds} s apart`,
    });
    const broken = props.failed
      ? new sfn.Fail(scope, props.failed.name, { error: props.failed.error, cause: props.failed.cause })
      : undefined;
    const outOfAttempts = sfn.Condition.numberGreaterThanEquals(`${path}.attempts`, props.poll.maxAttempts);
    if (props.notYetErrors && props.notYetErrors.length > 0) {
      // "Not yet" as an error (a busy or unreachable service) counts against the same bound as a
      // "not yet" answer: without this check a service that never answers again is polled forever.
      const attemptsLeft = new sfn.Choice(scope, `${props.title}: attempts left?`, {
        comment: `The check failed with a "not yet" error; the wait still gives up after ${props.poll.maxAttempts} checks.`,
      })
        .when(outOfAttempts, timedOut)
        .otherwise(count);
      props.check.addCatch(attemptsLeft, { errors: props.notYetErrors, resultPath: `${path}.lastError` });
    }
    entry.next(props.check);
    this.startState = entry;

    // The Choice is built when the fragment is chained, so "done" is its first rule: a last
    // successful check must never count as a timeout.
    let chained = false;
    // A poll nothing follows would render its check as an end state: one look, no wait at all.
    this.node.addValidation({ validate: () => (chained ? [] : [`"${props.title}" is never followed by a state: the wait would not wait`]) });
    const doneHook: sfn.INextable = {
      next: (target: sfn.IChainable): sfn.Chain => {
        chained = true;
        // Records when the wait ended, for the per-step times of the audit record.
        const done = new sfn.Pass(scope, `${props.title}: done`, {
          comment: 'The wait is over; its start, end and number of checks stay in the record.',
          parameters: { 'attempts.$': `${path}.attempts`, 'StartedAt.$': `${path}.StartedAt`, 'EndedAt.$': '$$.State.EnteredTime', ...keep },
          resultPath: path,
        });
        done.next(target);
        const choice = new sfn.Choice(scope, props.question).when(props.done, done);
        if (props.failed && broken) choice.when(props.failed.condition, broken);
        choice.when(outOfAttempts, timedOut).otherwise(count);
        count.next(pause).next(props.check);
        props.check.next(choice);
        return sfn.Chain.custom(entry, target.endStates, target);
      },
    };
    this.endStates = [doneHook];
  }
}
