export { emailWorkflow } from './email';
export { notifyWorkflow } from './notify';
export { campaignWorkflow } from './campaign';
