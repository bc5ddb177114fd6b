import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { PollConfig } from '../../infra/config';
import { absent } from '../tasks';

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
  /**
   * What the check answers when the thing waited for is not there at all (a service deleted): an
   * IsPresent test, decided before anything is read from the answer.
   */
  readonly gone?: { readonly condition: sfn.Condition; readonly name: string; readonly error: string; readonly cause: string };
  /** A state the wait can never leave for the better (a failed snapshot, an inactive service). */
  readonly failed?: { readonly condition: sfn.Condition; readonly name: string; readonly error: string; readonly cause: string };
  /** Errors of the check that mean "not yet" rather than "broken" (a busy service). */
  readonly notYetErrors?: string[];
  readonly poll: PollConfig;
  /** Error name when the attempts run out: a named failure, never an endless loop. */
  readonly timeoutError: string;
}

/**
 * Wait → describe → Choice, bounded: the guide's "wait until ..." as a loop with a configured interval
 * and a maximum number of attempts. Every "not yet" (an answer that is not done, an answer missing a
 * field the Choice reads, a "not yet" error of the check) goes through one Choice that enforces the
 * bound; running out raises `timeoutError` through a Fail state, which the enclosing phase catches
 * and rolls back from.
 *
 * AWS leaves optional fields out of its answers, and a Choice that reads a missing field ends the
 * execution with States.Runtime, which no Catch handles
 * (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html). So the first
 * rule of the Choice asks whether every field the later rules read is present, and counts an
 * incomplete answer as "not yet". Rules are evaluated in order and the first match wins
 * (https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html); this does not rely on
 * And evaluating lazily.
 */
export class BoundedPoll extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];

  constructor(scope: Construct, props: BoundedPollProps) {
    super(scope, `fragment: ${props.title}`);
    const path = `$.polls.${props.counter}`;
    const entry = new sfn.Pass(scope, props.title, {
      comment: `${props.why} Checks every ${props.poll.intervalSeconds} s, at most ${props.poll.maxAttempts} times.`,
      parameters: { attempts: 1, 'StartedAt.$': '$$.State.EnteredTime' },
      resultPath: path,
    });
    const count = new sfn.Pass(scope, `${props.title}: count attempt`, {
      comment: 'Counts the attempt so the wait stays bounded.',
      parameters: { 'attempts.$': `States.MathAdd(${path}.attempts, 1)`, 'StartedAt.$': `${path}.StartedAt` },
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
    const attemptsLeft = new sfn.Choice(scope, `${props.title}: attempts left?`, {
      comment: `Not done yet (or the check said "not yet"): the wait gives up after ${props.poll.maxAttempts} checks.`,
    })
      .when(sfn.Condition.numberGreaterThanEquals(`${path}.attempts`, props.poll.maxAttempts), timedOut)
      .otherwise(count);
    count.next(pause).next(props.check);
    if (props.notYetErrors && props.notYetErrors.length > 0) {
      props.check.addCatch(attemptsLeft, { errors: props.notYetErrors, resultPath: `${path}.lastError` });
    }
    entry.next(props.check);
    this.startState = entry;

    const read = [...new Set([props.done, props.failed?.condition].flatMap((c) => (c ? pathsRead(c) : [])))];
    const incomplete = read.length === 0 ? undefined : sfn.Condition.or(...read.map((p) => absent(p)));

    // The Choice is built when the fragment is chained, so "done" comes right after the guards: a
    // last successful check must never count as a timeout.
    let chained = false;
    // A poll nothing follows would render its check as an end state: one look, no wait at all.
    this.node.addValidation({ validate: () => (chained ? [] : [`"${props.title}" is never followed by a state: the wait would not wait`]) });
    const doneHook: sfn.INextable = {
      next: (target: sfn.IChainable): sfn.Chain => {
        chained = true;
        // Records when the wait ended, for the per-step times of the audit record.
        const done = new sfn.Pass(scope, `${props.title}: done`, {
          comment: 'The wait is over; its start, end and number of checks stay in the record.',
          parameters: { 'attempts.$': `${path}.attempts`, 'StartedAt.$': `${path}.StartedAt`, 'EndedAt.$': '$$.State.EnteredTime' },
          resultPath: path,
        });
        done.next(target);
        const choice = new sfn.Choice(scope, props.question, {
          comment: 'An answer missing a field it needs counts as "not yet"; then done, or a state that cannot get better.',
        });
        const fail = (f: NonNullable<BoundedPollProps['failed']>) => new sfn.Fail(scope, f.name, { comment: f.cause, error: f.error, cause: f.cause });
        if (props.gone) choice.when(props.gone.condition, fail(props.gone));
        if (incomplete) choice.when(incomplete, attemptsLeft);
        choice.when(props.done, done);
        if (props.failed) choice.when(props.failed.condition, fail(props.failed));
        choice.otherwise(attemptsLeft);
        props.check.next(choice);
        return sfn.Chain.custom(entry, target.endStates, target);
      },
    };
    this.endStates = [doneHook];
  }
}

/**
 * The paths a condition reads a value from (Variable, and the path of a ...Path comparison); the
 * paths IsPresent/IsNull-style tests look at are not reads, they cannot fail.
 */
export function pathsRead(condition: sfn.Condition): string[] {
  const out: string[] = [];
  const walk = (rule: Record<string, unknown>) => {
    for (const key of ['And', 'Or']) for (const r of (rule[key] as Record<string, unknown>[] | undefined) ?? []) walk(r);
    if (rule.Not) walk(rule.Not as Record<string, unknown>);
    if (typeof rule.Variable !== 'string' || 'IsPresent' in rule) return;
    out.push(rule.Variable);
    for (const [key, value] of Object.entries(rule)) if (key.endsWith('Path') && typeof value === 'string') out.push(value);
  };
  walk(condition.renderCondition() as Record<string, unknown>);
  return out;
}
