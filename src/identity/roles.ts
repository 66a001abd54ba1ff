import * as z from 'zod'

// A member's role reaches apps in tokens and in forward auth's `X-Auth-Roles` header, where a
// comma separates roles: a line break there fails every response (Node refuses the header), a
// comma makes one role two. So a role is one token of plain characters, refused where it enters.
const ROLE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,49}$/

export const RoleName = z
  .string()
  .trim()
  .regex(ROLE, 'up to 50 letters, digits, "_", ".", ":" or "-", starting with a letter or digit')
