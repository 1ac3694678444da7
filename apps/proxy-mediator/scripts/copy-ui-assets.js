// tsc compiles the runner but copies no other file: the operator's page's script and stylesheet
// are copied next to the compiled page code, where the runner (and the container image, which
// has only build/) reads them. It lives in the app, not in the root scripts/, because the image's
// build stage copies apps/ and packages/ only.
const { cpSync } = require('node:fs')
const { join } = require('node:path')

const app = join(__dirname, '..')
cpSync(join(app, 'src', 'ui', 'assets'), join(app, 'build', 'ui', 'assets'), { recursive: true })
