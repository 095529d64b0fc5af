import { Track } from '@cohorly/nestjs';
import { Body, Controller, Get, Param, Post, Query, UseGuards } from '@nestjs/common';
import { BearerAuthGuard } from '../auth/bearer-auth.guard.js';
import type { AuthUser } from '../auth/auth-user.js';
import { User } from '../auth/user.decorator.js';
import type { Project } from './project.js';
import { type ProjectExport, ProjectsService } from './projects.service.js';

/** Body of `POST /projects`. */
interface CreateProjectBody {
  name?: string;
  plan?: Project['plan'];
}

@Controller('projects')
@UseGuards(BearerAuthGuard)
export class ProjectsController {
  constructor(private readonly projects: ProjectsService) {}

  @Post()
  @Track('Project Created', { properties: (_req, project: Project) => ({ plan: project.plan }) })
  create(@User() user: AuthUser, @Body() body: CreateProjectBody): Promise<Project> {
    return this.projects.create(user.id, body.name ?? 'Untitled', body.plan ?? 'free');
  }

  @Get(':id')
  show(@Param('id') id: string): Promise<Project> {
    return this.projects.find(id);
  }

  @Post(':id/export')
  @Track('Project Exported', {
    properties: (_req, exported: ProjectExport) => ({
      projectId: exported.projectId,
      format: exported.format,
    }),
  })
  export(@Param('id') id: string, @Query('format') format = 'csv'): Promise<ProjectExport> {
    return this.projects.export(id, format);
  }
}
