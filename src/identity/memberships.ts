// Users and memberships as other features (invitations, later SSO provisioning) change them:
// the one door into identity's tables from outside the feature.
export {
  activateMembership,
  findMembershipOf,
  findUser,
  insertMembership,
  type Membership,
  updateMembershipGrant,
  upsertUser,
  type User,
} from './users.queries.js'
