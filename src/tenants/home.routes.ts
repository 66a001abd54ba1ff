import { Router } from 'express'
import { homePage } from './home.pages.js'

export function homeRoutes(): Router {
  const router = Router()
  router.get('/', (_req, res) => {
    res.type('html').send(homePage(res.locals.tenant).value)
  })
  return router
}
