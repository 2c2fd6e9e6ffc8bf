import pkg from '../package.json'

/** The app's name and version, from package.json (inlined by the bundler). */
export const APP_NAME = 'WSM Curator'
export const APP_VERSION: string = pkg.version
