// Herald dashboard: dialogs, local times and live figures. Pages work without it, except
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
  const toTheSecond = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' })
  for (const time of root.querySelectorAll('time[datetime]')) {
    const date = new Date(time.getAttribute('datetime'))
    const chosen = time.hasAttribute('data-seconds') ? toTheSecond : format
    if (!Number.isNaN(date.getTime())) time.textContent = chosen.format(date)
  }
}

/**
 * Polls the figures of the block marked data-live while what it shows moves on its own (a delivery's
 * Deployment block, a recurring delivery's runs): progress, KPI tiles and the cells named by data-field
 * change in place; a new state (a delivery's status, a new run…) reloads the page.
 */
function liveFigures() {
  const block = document.querySelector('[data-live]')
  if (!block || !block.dataset.refreshMs) return
  const initialState = block.dataset.state
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
    if (figures.progress && progress) {
      const { percent, processed, toDeliver } = figures.progress
      progress.value = percent
      progress.textContent = `${percent} %`
      progressText.textContent = `${processed} of ${toDeliver} processed (${percent} %)`
    }
    for (const tile of figures.tiles ?? []) {
      const value = block.querySelector(`[data-tile="${tile.key}"]`)
      if (value) value.textContent = tile.value
    }
    for (const [field, text] of Object.entries(figures.fields ?? {})) {
      const cell = block.querySelector(`[data-field="${field}"]`)
      if (cell) cell.textContent = text
    }
    // A new state changes what may be done: reload, unless a dialog is open.
    if (figures.state !== initialState && !document.querySelector('dialog[open]')) {
      return window.location.reload()
    }
    if (figures.refreshMs) setTimeout(refresh, figures.refreshMs)
  }
  setTimeout(refresh, Number(block.dataset.refreshMs))
}

document.addEventListener('DOMContentLoaded', () => {
  wireDialogs()
  localTimes(document)
  liveFigures()
})
