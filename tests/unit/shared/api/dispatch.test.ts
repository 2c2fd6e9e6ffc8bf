import { describe, expect, it } from 'vitest'
import { CALL_NAMES, type ApiHandlers } from '../../../../shared/api/contract'
import { dispatch } from '../../../../shared/api/dispatch'
import { CodedError } from '../../../../shared/api/errors'

const notUsed = async (): Promise<never> => {
  throw new Error('not used in this test')
}

const handlers: ApiHandlers = {
  'app:info': async () => ({ name: 'x', version: '1', host: 'serve' }),
  'dataset:summary': async () => {
    throw new CodedError('no-dataset', 'no dataset is open')
  },
  'workspace:info': notUsed,
  'workspace:recent': notUsed,
  'workspace:open': notUsed,
  'workspace:create': notUsed,
  'dialog:pick': notUsed,
  'export:plan': notUsed,
  'export:start': notUsed,
  'export:status': notUsed,
  'export:cancel': notUsed,
  'dataset:problems': notUsed,
  'queue:set': notUsed,
  'dashboard:data': notUsed,
  'metadata:columns': notUsed,
  'metadata:values': notUsed,
  'metadata:import': notUsed,
  'team:state': notUsed,
  'team:join': notUsed,
  'team:sync': notUsed,
  'team:status': notUsed,
  'team:adjudicationQueue': notUsed,
  'team:adjudicationCase': notUsed,
  'team:adjudicate': notUsed,
  'queue:page': async ({ offset, limit }) => ({
    total: 1,
    offset,
    items: [
      {
        position: 0,
        id: `n${limit}`,
        status: 'unreviewed',
        uncertainFraction: null,
        corrected: false,
        problem: null,
      },
    ],
  }),
  'queue:find': async () => {
    throw new Error('boom')
  },
  'pair:open': async () => {
    throw new CodedError('mask-values', 'bad', 'f.png')
  },
  'pair:prefetch': notUsed,
  'pair:version': notUsed,
  'pair:thumbnail': notUsed,
  'pair:triage': notUsed,
  'pair:setStatus': notUsed,
  'pair:setNote': notUsed,
  'pair:saveMask': notUsed,
  'ui:get': notUsed,
  'ui:set': notUsed,
}

describe('dispatch', () => {
  it('calls the handler with validated arguments', async () => {
    expect(await dispatch(handlers, 'queue:page', { offset: 2, limit: 5 })).toMatchObject({
      ok: true,
      value: { total: 1, offset: 2, items: [{ position: 0, id: 'n5' }] },
    })
  })

  it('refuses unknown calls, including prototype keys', async () => {
    for (const name of ['nope', '__proto__', 'constructor', 'toString', 42]) {
      const r = await dispatch(handlers, name, undefined)
      expect(r.ok ? null : r.error.code).toBe('unknown-call')
    }
  })

  it('refuses invalid arguments with bad-request naming the field', async () => {
    const r = await dispatch(handlers, 'queue:page', { offset: -1, limit: 5 })
    expect(r).toMatchObject({ ok: false, error: { code: 'bad-request' } })
    expect(r.ok ? '' : r.error.message).toContain('offset')
    const tooMany = await dispatch(handlers, 'queue:page', { offset: 0, limit: 100_000 })
    expect(tooMany.ok).toBe(false)
  })

  it('keeps the code of a CodedError and maps anything else to internal', async () => {
    expect(await dispatch(handlers, 'dataset:summary', undefined)).toEqual({
      ok: false,
      error: { code: 'no-dataset', message: 'no dataset is open' },
    })
    expect(await dispatch(handlers, 'pair:open', { id: 'ISIC_0000000' })).toEqual({
      ok: false,
      error: { code: 'mask-values', message: 'bad', file: 'f.png' },
    })
    expect(await dispatch(handlers, 'queue:find', { id: 'ISIC_0000001' })).toEqual({
      ok: false,
      error: { code: 'internal', message: 'boom' },
    })
  })

  it('the contract lists every call the handlers implement', () => {
    expect(CALL_NAMES.sort()).toEqual(Object.keys(handlers).sort())
  })
})
