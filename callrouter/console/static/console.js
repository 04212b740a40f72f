// Progressive enhancement only: every page works without this file.
import { initAll } from './govuk/govuk-frontend.min.js'

initAll()

function words (seconds) {
  seconds = Math.abs(Math.round(seconds))
  const hours = Math.floor(seconds / 3600)
  const minutes = Math.floor((seconds % 3600) / 60)
  const parts = []
  if (hours) parts.push(hours + (hours === 1 ? ' hour' : ' hours'))
  if (minutes || !parts.length) parts.push(minutes + (minutes === 1 ? ' minute' : ' minutes'))
  return parts.join(' ')
}

function tick () {
  document.querySelectorAll('[data-due]').forEach(function (cell) {
    const left = (Date.parse(cell.dataset.due) - Date.now()) / 1000
    const tag = cell.querySelector('.console-countdown')
    if (!tag) return
    const risk = Number(cell.dataset.riskSeconds || 0)
    const row = cell.closest('tr')
    tag.classList.remove('govuk-tag--red', 'govuk-tag--orange', 'govuk-tag--grey')
    if (left <= 0) {
      tag.textContent = 'Overdue by ' + words(left)
      tag.classList.add('govuk-tag--red')
      row.classList.add('console-row--breached')
    } else {
      tag.textContent = words(left) + ' left'
      tag.classList.add(left <= risk ? 'govuk-tag--orange' : 'govuk-tag--grey')
    }
  })
}

const table = document.getElementById('my-callbacks')
if (table) {
  const rows = document.getElementById('callback-rows')
  const announcer = document.getElementById('callback-announcer')
  const known = function () {
    return new Set(Array.from(rows.querySelectorAll('[data-task-id]')).map(r => r.dataset.taskId))
  }
  async function poll () {
    try {
      const response = await fetch(table.dataset.pollUrl, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      if (response.status === 401) {
        announcer.textContent = 'You have been signed out. Reload the page to sign in again.'
        return
      }
      if (!response.ok) return
      const data = await response.json()
      // The EDT's waiting list and whatever was escalated to me are redrawn on every beat.
      ;['waiting', 'escalated'].forEach(function (panel) {
        const body = document.getElementById(panel + '-rows')
        if (body && data[panel + '_rows'] !== undefined) {
          body.innerHTML = data[panel + '_rows']
          tick()
        }
      })
      const before = known()
      const arrived = data.tasks.filter(t => !before.has(String(t.id)))
      const now = new Set(data.tasks.map(t => String(t.id)))
      const changed = arrived.length || before.size !== now.size
      if (changed) {
        rows.innerHTML = data.rows
        if (arrived.length) {
          announcer.textContent = arrived.length === 1 ? 'A new call-back has arrived.' : arrived.length + ' new call-backs have arrived.'
          arrived.forEach(function (t) {
            const row = rows.querySelector('[data-task-id="' + t.id + '"]')
            if (row) row.classList.add('console-row--new')
          })
        }
        tick()
      }
    } catch (error) {
      // The network dropped: try again on the next beat.
    }
  }
  setInterval(poll, 1000 * Number(table.dataset.pollSeconds || 20))
  table.pollNow = poll
}

// While the call is on, tell the server every few minutes that it is, so a long call keeps the
// dial lock; without this script the lock lapses 15 minutes after the call was started.
const dialling = document.getElementById('dialling')
const csrf = document.querySelector('input[name="csrf_token"]')
if (dialling && dialling.dataset.keepUrl && csrf) {
  const keep = function () {
    fetch(dialling.dataset.keepUrl, {
      method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf.value }
    }).catch(function () {}) // the network dropped: try again on the next beat
  }
  setInterval(keep, 1000 * Number(dialling.dataset.keepSeconds || 300))
  dialling.keepNow = keep
}

tick()
setInterval(tick, 30000)
