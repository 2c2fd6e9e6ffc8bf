import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { PathGrants, withoutLongPathPrefix } from '../../../electron/pathGrants'

describe('PathGrants with Windows rules', () => {
  const g = new PathGrants(path.win32)
  g.grant('C:\\Users\\Zoë\\Données de test\\espace ü')
  g.grant('\\\\nas\\isic\\ISIC_WSM')
  g.grant('\\\\?\\D:\\very\\long\\root')

  it('allows a granted root and what lies below it, with either separator and any case', () => {
    expect(g.allows('C:\\Users\\Zoë\\Données de test\\espace ü')).toBe(true)
    expect(g.allows('C:\\Users\\Zoë\\Données de test\\espace ü\\masks\\ISIC_0000000.png')).toBe(true)
    expect(g.allows('c:/users/zoë/DONNÉES DE TEST/espace ü/workspace.json')).toBe(true)
    expect(g.allows('\\\\nas\\isic\\ISIC_WSM\\labels.zip')).toBe(true)
  })

  it('matches \\\\?\\ long paths with their short form, both ways', () => {
    expect(g.allows('\\\\?\\C:\\Users\\Zoë\\Données de test\\espace ü\\masks')).toBe(true)
    expect(g.allows('D:\\very\\long\\root\\x.png')).toBe(true)
    expect(g.allows('\\\\?\\UNC\\nas\\isic\\ISIC_WSM\\x.zip')).toBe(true)
  })

  it('refuses other drives, siblings, parents, look-alike prefixes and traversal', () => {
    expect(g.allows('D:\\Users\\Zoë\\Données de test\\espace ü')).toBe(false)
    expect(g.allows('C:\\Users\\Zoë\\Données de test')).toBe(false)
    expect(g.allows('C:\\Users\\Zoë\\Données de test\\espace ü2\\x')).toBe(false)
    expect(g.allows('C:\\Users\\Zoë\\Données de test\\espace ü\\..\\secret')).toBe(false)
    expect(g.allows('C:\\Users\\Zoë\\Données de test\\espace ü/../secret')).toBe(false)
    expect(g.allows('\\\\nas\\other\\x')).toBe(false)
    expect(g.allows('\\\\?\\C:\\Windows\\System32')).toBe(false)
    expect(g.allows('')).toBe(false)
    expect(g.allows('C:\\Users\\Zoë\\Données de test\\espace ü\\x\0')).toBe(false)
  })

  it('allows a child whose name starts with two dots', () => {
    expect(g.allows('C:\\Users\\Zoë\\Données de test\\espace ü\\..masks')).toBe(true)
  })
})

describe('withoutLongPathPrefix', () => {
  it('drops the \\\\?\\ prefix of drive and UNC paths under Windows rules only', () => {
    expect(withoutLongPathPrefix('\\\\?\\C:\\x', path.win32)).toBe('C:\\x')
    expect(withoutLongPathPrefix('//?/c:/x', path.win32)).toBe('c:/x')
    expect(withoutLongPathPrefix('\\\\?\\UNC\\srv\\share\\x', path.win32)).toBe('\\\\srv\\share\\x')
    expect(withoutLongPathPrefix('C:\\x', path.win32)).toBe('C:\\x')
    expect(withoutLongPathPrefix('\\\\?\\C:\\x', path.posix)).toBe('\\\\?\\C:\\x')
  })
})

describe('PathGrants with POSIX rules', () => {
  const g = new PathGrants(path.posix)
  g.grant('/home/zoë/Données de test/espace ü')

  it('is case-sensitive and keeps spaces and non-ASCII names', () => {
    expect(g.allows('/home/zoë/Données de test/espace ü/masks/a.png')).toBe(true)
    expect(g.allows('/home/zoë/données de test/espace ü/masks/a.png')).toBe(false)
    expect(g.allows('/home/zoë/Données de test/espace ü/../x')).toBe(false)
  })
})
