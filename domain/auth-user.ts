import type { Role } from './roles'

/** Someone acting in Herald: the user behind an API token (or the dashboard session made with one). */
export interface AuthUser {
  id: number
  name: string
  roles: Role[]
  tokenId: number
}
