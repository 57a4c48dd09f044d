// Herald dashboard: dialogs, local times and the live Deployment block. Pages work without it, except
// the dialogs that ask before Confirm send and Stop.
'use strict'

/** Buttons open and close the dialogs they name (a real <dialog>: focus moves in, Escape closes). */
function wireDialogs() {
  for (const button of document.querySelectorAll('[data-open-dialog]')) {
    button.addEventListener('click', () => document.getElementById(button.dataset.openDialog)?.showModal())
  }
  for (const button of document.querySelectorAll('[data-close-dialog]')) {
    button.addEventListener('click', () => button.closest('dialog')?.close())
  }
}

/** Dates arrive in UTC; show them in the reader's time zone. */
function localTimes(root) {
  const format = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })
  for (const time of root.querySelectorAll('time[datetime]')) {
    const date = new Date(time.getAttribute('datetime'))
    if (!Number.isNaN(date.getTime())) time.textContent = format.format(date)
  }
}

/** Polls the Deployment block's figures while the delivery moves; a new status reloads the page. */
function liveDeployment() {
  const block = document.querySelector('[data-live]')
  if (!block || !block.dataset.refreshMs) return
  const initialStatus = block.dataset.status
  const progress = block.querySelector('progress')
  const progressText = block.querySelector('[data-field="progress-text"]')

  async function refresh() {
    let figures
    try {
      const response = await fetch(block.dataset.live, { headers: { accept: 'application/json' } })
      if (response.status === 401) return window.location.assign('/login')
      if (!response.ok) return setTimeout(refresh, 5000)
      figures = await response.json()
    } catch {
      return setTimeout(refresh, 5000)
    }
    const { percent, processed, toDeliver } = figures.progress
    progress.value = percent
    progress.textContent = `${percent} %`
    progressText.textContent = `${processed} of ${toDeliver} processed (${percent} %)`
    for (const tile of figures.tiles) {
      const value = block.querySelector(`[data-tile="${tile.key}"]`)
      if (value) value.textContent = tile.value
    }
    // A new status changes what may be done: reload, unless a dialog is open.
    if (figures.status !== initialStatus && !document.querySelector('dialog[open]')) {
      return window.location.reload()
    }
    if (figures.refreshMs) setTimeout(refresh, figures.refreshMs)
  }
  setTimeout(refresh, Number(block.dataset.refreshMs))
}

document.addEventListener('DOMContentLoaded', () => {
  wireDialogs()
  localTimes(document)
  liveDeployment()
})
