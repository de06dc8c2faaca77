export { emailWorkflow } from './email';
export { notifyWorkflow } from './notify';
