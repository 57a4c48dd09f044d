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

/**
 * Every date names its zone. One the server wrote in UTC is shown in the reader's zone, named; one that
 * belongs to a zone (a recurrence's next runs, a delivery's contact date: data-zone) stays in it, with
 * the reader's time beside it where the two read differently.
 */
function localTimes(root) {
  const readerZone = Intl.DateTimeFormat().resolvedOptions().timeZone
  const formats = new Map()
  const format = (date, seconds, timeZone) => {
    const key = `${seconds}/${timeZone}`
    if (!formats.has(key)) {
      const parts = { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }
      formats.set(
        key,
        new Intl.DateTimeFormat(undefined, { ...parts, ...(seconds ? { second: '2-digit' } : {}), timeZone }),
      )
    }
    return formats.get(key).format(date)
  }
  for (const time of root.querySelectorAll('time[datetime]')) {
    const date = new Date(time.getAttribute('datetime'))
    if (Number.isNaN(date.getTime()) || time.dataset.localised) continue
    time.dataset.localised = ''
    const seconds = time.hasAttribute('data-seconds')
    const zone = time.dataset.zone
    const reader = `${format(date, seconds, readerZone)} ${readerZone}`
    if (!zone) {
      time.textContent = reader
    } else if (zone !== readerZone && format(date, seconds, zone) !== format(date, seconds, readerZone)) {
      const beside = document.createElement('span')
      beside.className = 'muted reader-time'
      beside.textContent = ` (your time: ${reader})`
      time.after(beside)
    }
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
