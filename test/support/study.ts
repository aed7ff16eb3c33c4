/** A parsed copy of config/demo.yaml for tests that need study settings. */
import { loadStudyConfig, type StudyConfig } from '../../src/config/study-config.js';

export function demoStudy(): StudyConfig {
  return structuredClone(loadStudyConfig('config/demo.yaml').config);
}
