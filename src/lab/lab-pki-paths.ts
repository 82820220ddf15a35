import type { HypervisorPlan, LabPlan } from './topology.js';

/** Where the lab's TLS identities live (lab-pki.ts makes them); pure, so hardware.ts can name them. */
export const labPkiDir = (plan: Pick<LabPlan, 'dir'>): string => `${plan.dir}/pki`;
/** The controller's `pkipath` for the hypervisors' TLS URIs: cacert.pem, clientcert.pem, clientkey.pem. */
export const controllerPkiDir = (plan: Pick<LabPlan, 'dir'>): string => `${labPkiDir(plan)}/client`;
/** A hypervisor's PKI directory as the controller sees it (its libvirtd sees HV_PKI_PATH). */
export const hvPkiDir = (hv: Pick<HypervisorPlan, 'dir'>): string => `${hv.dir}/etc/pki`;
