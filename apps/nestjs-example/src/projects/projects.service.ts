import { CohorlyService } from '@cohorly/nestjs';
import { Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import type { Project } from './project.js';

/** The events this app tracks, so `track()` is checked at compile time. */
export type AppEvents = {
  'Project Created': { plan: string };
  'Project Viewed': { projectId: string };
  'Project Exported': { projectId: string; format: string };
  'Signed Up': { referrer: string | null };
  'Server Started': { node: string };
};

/** A finished export. */
export interface ProjectExport {
  projectId: string;
  format: string;
  url: string;
}

/** In-memory projects; tracks from the service layer, where the business logic is. */
@Injectable()
export class ProjectsService {
  private readonly projects = new Map<string, Project>();
  private sequence = 0;

  constructor(private readonly cohorly: CohorlyService<AppEvents>) {}

  async create(ownerId: string, name: string, plan: Project['plan']): Promise<Project> {
    await Promise.resolve(); // stands in for a database write
    this.sequence += 1;
    const project: Project = { id: `p${this.sequence}`, name, ownerId, plan };
    this.projects.set(project.id, project);
    return project;
  }

  /** A project, as its owner views it: tracked as `Project Viewed`. */
  async find(id: string): Promise<Project> {
    const project = await this.load(id);
    // No user passed: the service runs inside the request, whose user Cohorly knows.
    void this.cohorly.track('Project Viewed', { projectId: id });
    return project;
  }

  async export(id: string, format: string): Promise<ProjectExport> {
    // Looked up, not viewed: an export is tracked as `Project Exported` (by @Track) alone.
    await this.load(id);
    if (format !== 'csv') {
      // The export backend only knows CSV: the handler fails, so @Track sends nothing.
      throw new ServiceUnavailableException(`cannot export as ${format} right now`);
    }
    return { projectId: id, format, url: `/exports/${id}.csv` };
  }

  private async load(id: string): Promise<Project> {
    await Promise.resolve(); // stands in for a database read
    const project = this.projects.get(id);
    if (!project) throw new NotFoundException(`no project ${id}`);
    return project;
  }
}
