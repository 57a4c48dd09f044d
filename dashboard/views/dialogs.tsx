import type { Child } from 'hono/jsx'
import { Csrf } from './layout'

/** The dialogs that ask before an action (a real <dialog>, opened and closed by the page's script). */

/** ACS: Confirm, then an OK dialog that states the number of messages; OK sends that count. */
export function ConfirmCount(props: {
  id: string
  button: string
  title: string
  action: string
  csrf: string
  count: number
  /** What follows "N messages": "of “Welcome” will be sent now". */
  children: Child
}) {
  const { id, count } = props
  return (
    <>
      <button type="button" class="primary" data-open-dialog={id}>
        {props.button}
      </button>
      <dialog id={id} aria-labelledby={`${id}-title`} aria-describedby={`${id}-text`}>
        <form method="post" action={props.action}>
          <Csrf token={props.csrf} />
          <input type="hidden" name="expectedMessages" value={String(count)} />
          <h2 id={`${id}-title`}>{props.title}</h2>
          <p id={`${id}-text`}>
            <strong data-field="confirm-count">
              {count} {count === 1 ? 'message' : 'messages'}
            </strong>{' '}
            {props.children}. Do you confirm?
          </p>
          <DialogButtons />
        </form>
      </dialog>
    </>
  )
}

export function AskFirst(props: {
  id: string
  label: string
  action: string
  csrf: string
  question: string
  danger?: boolean
}) {
  return (
    <>
      <button type="button" class={props.danger ? 'danger' : undefined} data-open-dialog={props.id}>
        {props.label}
      </button>
      <dialog id={props.id} aria-labelledby={`${props.id}-title`} aria-describedby={`${props.id}-text`}>
        <form method="post" action={props.action}>
          <Csrf token={props.csrf} />
          <h2 id={`${props.id}-title`}>{props.label}</h2>
          <p id={`${props.id}-text`}>{props.question}</p>
          <DialogButtons danger={props.danger} />
        </form>
      </dialog>
    </>
  )
}

/** OK submits the dialog's form; Cancel closes it. */
function DialogButtons(props: { danger?: boolean }) {
  return (
    <div class="dialog-buttons">
      <button type="submit" class={props.danger ? 'danger' : 'primary'}>
        OK
      </button>
      <button type="button" data-close-dialog>
        Cancel
      </button>
    </div>
  )
}
