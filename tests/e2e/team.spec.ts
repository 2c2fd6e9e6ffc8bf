import { expect, test } from '@playwright/test'
import { postgresSkipReason, startPostgres, type PostgresServer } from '../support/postgres'
import { cli, freshWorkspace, startServe, type ServeProcess } from './support/serve'

/**
 * Team QA in the app: two curators and a lead on a throwaway PostgreSQL cluster, driven through
 * the CLI contract (init, join, sync, review); the lead's app shows the sync badge, the team view
 * (curators, agreement) and adjudicates the one pair the curators disagree on.
 */
let pgServer: PostgresServer | undefined
let serve: ServeProcess | undefined

test.skip(postgresSkipReason !== null, `needs PostgreSQL: ${postgresSkipReason}`)

test.beforeAll(async () => {
  pgServer = await startPostgres()
  const url = await pgServer.createDatabase('e2e_team')
  const lead = freshWorkspace('lead')
  const ann = freshWorkspace('ann')
  const bob = freshWorkspace('bob')
  cli('team', 'init', lead, '--db', url, '--batch', '2', '--double-review', '1')
  cli('team', 'join', ann, '--db', url, '--curator', 'ann')
  cli('team', 'join', bob, '--db', url, '--curator', 'bob')
  const a = JSON.parse(cli('team', 'sync', ann, '--json')) as { assigned: { id: string }[] }
  const ids = a.assigned.map((x) => x.id)
  cli('review', ann, '--set', 'accepted', '--ids', ids.join(','), '--curator', 'ann')
  cli('team', 'sync', ann, '--json')
  cli('team', 'sync', bob, '--json')
  cli('review', bob, '--set', 'accepted', '--ids', ids[0], '--curator', 'bob')
  cli('review', bob, '--set', 'rejected', '--ids', ids[1], '--curator', 'bob')
  cli('team', 'sync', bob, '--json')
  cli('team', 'sync', lead, '--json')
  serve = await startServe(lead)
})
test.afterAll(async () => {
  await serve?.stop()
  await pgServer?.stop()
})

test('the lead sees the team, its agreement, and adjudicates the disagreement', async ({ page }) => {
  await page.goto(serve!.url)
  await expect(page.getByTestId('pair-id')).toHaveText(/^ISIC_\d{7}$/)
  await expect(page.getByTestId('team-sync-badge')).toContainText('team: synced')

  await page.getByTestId('team-button').click()
  await expect(page.getByTestId('team-view')).toBeVisible()
  await expect(page.getByTestId('team-summary')).toContainText(
    '2 decided · 2 double-reviewed · 1 await adjudication',
  )
  const table = page.getByTestId('team-curators')
  await expect(table).toContainText('ann')
  await expect(table).toContainText('bob')
  await expect(page.getByTestId('team-jaccard').locator('canvas').first()).toBeVisible()

  await page.getByTestId('team-adjudicate').click()
  await expect(page.getByTestId('adjudication-view')).toBeVisible()
  const items = page.getByTestId('adjudication-queue').locator('button')
  await expect(items).toHaveCount(1)
  await items.first().click()
  await expect(page.getByTestId('adjudication-overlay')).toBeVisible()
  await page.getByTestId('take-first').click()
  await expect(page.getByTestId('adjudication-done')).toContainText('accepted (first), final')
  await expect(items).toHaveCount(0)
})
